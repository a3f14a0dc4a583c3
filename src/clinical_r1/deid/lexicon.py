"""Word lists the de-identification rules rely on (bundled, offline).

Kept as plain data so a reviewer can read and extend them without touching the rules.
"""

from __future__ import annotations

# --- Chinese surnames: about 250 common single-character surnames plus compound ones.
# Characters that are also very common function words right after 患者 (于 "at", 经 "through",
# 全 "whole", 管 "tube"...) are left out: their name use is rare and their false hits are many.
ZH_SURNAMES_SINGLE = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛阎闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
    "戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯"
    "纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪"
    "简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎"
    "甄丛仲虞敖巩明佘池查麻苑迟邝"
) - set("于经全管和时明路向车应师常成解")
ZH_SURNAMES_AMBIGUOUS = set("于经全管和时明路向车应师常成解")
ZH_SURNAMES_COMPOUND = [
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "令狐",
    "慕容",
    "尉迟",
    "公孙",
    "长孙",
    "宇文",
    "司徒",
    "夏侯",
    "轩辕",
    "端木",
    "独孤",
    "南宫",
    "西门",
    "百里",
    "呼延",
    "澹台",
    "万俟",
    "钟离",
    "闻人",
]

# Characters that end a Chinese name written straight into running text (患者张伟因…入院).
ZH_NAME_STOP_CHARS = set(
    "因于在来入主自诉出以今男女等的和与及经行无有既近反突为是由被送从向到至去回住转就确诊患病伴"
    "先女之其妻夫母父家属陪等均也已曾再又并且或但而即查提"
)

# After a weak cue (患者张伟因…) the name must be followed by punctuation or one of these.
ZH_WEAK_NAME_FOLLOWERS = set("因于由在自今来男女主入诉被经近送陪带代交签表同述查提，。；、,.;（(：: \n")

# Common words a place cue can precede that are not places.
ZH_NOT_PLACES = {
    "外地",
    "农村",
    "国外",
    "乡下",
    "山区",
    "疫区",
    "牧区",
    "林区",
    "南方",
    "北方",
    "城市",
    "城里",
    "老家",
    "家乡",
    "医院",
    "单位",
    "学校",
    "工地",
    "外省",
    "本地",
    "当地",
    "海边",
    "野外",
    "异地",
    "境外",
    "国内",
    "外院",
    "流行区",
    "流行",
    "疫源",
    "牧场",
    "农场",
    "林场",
    "矿区",
    "灾区",
    "高原",
    "沿海",
    "内地",
    "市区",
    "郊区",
}

# Clinical words that start with a surname character: after 患者 they must not become names.
ZH_CLINICAL_PREFIXES = [
    "高血压",
    "高血糖",
    "高血脂",
    "高热",
    "高烧",
    "高钾",
    "高钠",
    "高钙",
    "高尿酸",
    "黄疸",
    "黄染",
    "白细胞",
    "白血病",
    "白蛋白",
    "石膏",
    "金黄色",
    "马蹄",
    "毛囊",
    "史",
    "钱币",
    "龙胆",
    "胡言",
    "苏醒",
    "邵氏",
    "林可霉素",
    "何首乌",
    "黄芪",
    "白芍",
    "柴胡",
    "葛根",
    "甘草",
    "常规",
    "温度",
    "程度",
    "安静",
    "安眠",
    "宁神",
    "康复",
    "明显",
    "汤药",
    "江米",
    "夏季",
    "成人",
    "严重",
    "齐全",
    "易感",
    "单侧",
    "双侧",
    "孔径",
    "叶酸",
    "谷丙",
    "谷草",
    "包块",
    "曲线",
    "顾虑",
    "焦虑",
    "关节",
    "左侧",
    "右侧",
    "尤其",
    "毕竟",
    "蒙脱石",
    "阮病毒",
    "冉",
    "麻木",
    "应激",
    "项强",
    "戚",
    "季节",
    "全身",
    "连续",
    "景",
    "费用",
    "宫颈",
    "宫腔",
    "房颤",
    "房室",
    "查房",
    "查看",
    "查阅",
    "查询",
    "麻醉",
    "管床",
    "值班",
    "全科",
    "专科",
    "卫生",
    "沙丁胺醇",
    "桑",
    "仇",
    "甄别",
    "边缘",
    "池",
    "查体",
    "查血",
    "迟发",
    "迟缓",
    "苑",
]

# Chinese provinces and province-level cities: allowed under PIPL-style de-identification, like US
# states under Safe Harbor (only geography finer than a province must go).
ZH_PROVINCES = [
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
]
# Countries and world regions in Chinese: coarser than a province, so kept.
ZH_COUNTRIES = [
    "泰国",
    "越南",
    "美国",
    "日本",
    "韩国",
    "朝鲜",
    "印度",
    "英国",
    "法国",
    "德国",
    "俄罗斯",
    "缅甸",
    "老挝",
    "柬埔寨",
    "马来西亚",
    "新加坡",
    "印尼",
    "印度尼西亚",
    "菲律宾",
    "巴基斯坦",
    "孟加拉",
    "尼泊尔",
    "蒙古",
    "澳大利亚",
    "澳洲",
    "加拿大",
    "巴西",
    "墨西哥",
    "埃及",
    "南非",
    "尼日利亚",
    "肯尼亚",
    "沙特",
    "伊朗",
    "伊拉克",
    "土耳其",
    "以色列",
    "意大利",
    "西班牙",
    "荷兰",
    "瑞士",
    "瑞典",
    "葡萄牙",
    "希腊",
    "波兰",
    "乌克兰",
    "新西兰",
    "阿根廷",
    "智利",
    "秘鲁",
    "古巴",
    "几内亚",
    "刚果",
    "乌干达",
    "坦桑尼亚",
    "安哥拉",
    "苏丹",
    "埃塞俄比亚",
    "欧洲",
    "亚洲",
    "非洲",
    "美洲",
    "东南亚",
    "中东",
    "南美",
    "北美",
    "拉美",
    "中国",
    "国外",
    "境外",
    "海外",
]

# City names of three or more characters (two-character names are taken by the cue rule as is).
ZH_LONG_CITIES = [
    "石家庄",
    "哈尔滨",
    "呼和浩特",
    "乌鲁木齐",
    "齐齐哈尔",
    "牡丹江",
    "佳木斯",
    "连云港",
    "张家口",
    "秦皇岛",
    "马鞍山",
    "景德镇",
    "平顶山",
    "驻马店",
    "三门峡",
    "张家界",
    "攀枝花",
    "六盘水",
    "西双版纳",
    "日喀则",
    "克拉玛依",
    "鄂尔多斯",
    "包头市",
    "葫芦岛",
    "防城港",
    "石嘴山",
    "嘉峪关",
]
ZH_GENERIC_HOSPITAL_PREFIXES = [
    "当地",
    "上级",
    "基层",
    "外地",
    "私立",
    "社区",
    "附近",
    "综合",
    "专科",
    "其他",
    "各级",
    "定点",
    "同一",
    "多家",
    "某",
    "该",
    "转出",
    "转入",
    "出",
    "入",
    "精神病",
    "传染病",
    "一家",
    "一所",
    "医",
    "中心",
    "各",
    "甲",
    "乙",
    "丙",
    "丁",
    "这",
    "那",
    "此",
    "哪",
    "任何",
    "同级",
    "下级",
    "公立",
    "民营",
    "乡镇",
    "县级",
    "市级",
    "省级",
    "三级",
    "二级",
    "一级",
    "三甲",
    "专业",
    "妇产",
    "儿童",
    "口腔",
]

# --- English
# Common given names (US census / SSA top lists, plus frequent names of other origins seen in US and
# UK records). Used only for "Firstname Lastname" without any other cue.
EN_FIRST_NAMES = set(
    """
    James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel Matthew
    Anthony Mark Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy Ronald Edward Jason
    Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin Scott Brandon Benjamin Samuel
    Gregory Alexander Frank Patrick Raymond Jack Dennis Jerry Tyler Aaron Jose Adam Nathan Henry Douglas
    Zachary Peter Kyle Ethan Walter Noah Jeremy Christian Keith Roger Terry Gerald Harold Sean Austin
    Carl Arthur Lawrence Dylan Jesse Jordan Bryan Billy Joe Bruce Gabriel Logan Albert Willie Alan Juan
    Wayne Elijah Randy Roy Vincent Ralph Eugene Russell Bobby Mason Philip Louis Harry Howard Fred
    Victor Martin Ernest Luis Carlos Miguel Liam Oliver Lucas Owen Leo Hugo Mary Patricia Jennifer Linda
    Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty Margaret Sandra Ashley Kimberly Emily
    Donna Michelle Carol Amanda Dorothy Melissa Deborah Stephanie Rebecca Sharon Laura Cynthia Kathleen
    Amy Angela Shirley Anna Brenda Pamela Emma Nicole Helen Samantha Katherine Christine Debra Rachel
    Carolyn Janet Catherine Maria Heather Diane Ruth Julie Olivia Joyce Virginia Victoria Kelly Lauren
    Christina Joan Evelyn Judith Megan Andrea Cheryl Hannah Jacqueline Martha Gloria Teresa Ann Sara
    Madison Frances Kathryn Janice Jean Abigail Alice Judy Sophia Grace Denise Amber Doris Marilyn
    Danielle Beverly Isabella Theresa Diana Natalie Brittany Charlotte Marie Kayla Alexis Lori Fatima
    Aisha Olga Ana Rosa Carmen Lucia Sofia Chloe Ava Mia Ella Zoe Nora Leah Hazel Aurora Ruby Ivy Wei Li
    Hui Jun Chidi Ngozi Kwame Amara Raj Arjun Ravi Anil Sunil Deepak Ahmed Mohammed Omar Ali Hassan
    """.split()
)

# Capitalised words that start sentences or label fields in notes and must never be taken as names.
EN_NOT_NAMES = set(
    """
    Patient Pt Name Age Sex MRN DOB Admitted Admission Discharged Discharge Attending Contact Phone Fax
    Email Tel Mobile Cell Home Work Follow Follow-up Chest Started Meds Medications Diagnosis Diagnoses
    Impression Plan History Complaint Differential Labs Lab Exam Vitals Allergies Social Family Review
    Assessment Physical Results Imaging Procedure Procedures Course Summary Note Notes Letter Referral
    Consult Consultation Progress Telehealth Callback Emergency Driver License Account Logged Portal
    Kind Regards Dear Re To From Cc Subject Date Time Nurse Doctor Dr Mr Mrs Ms Miss Prof Given Lives
    Seen He She They We It His Her Their The This That These Those There Then When While After Before
    During Since Until On In At By For With Without And Or But Not No Yes Also However Today Yesterday
    Tomorrow Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May
    June July August September October November December Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov
    Dec Hospital Clinic Medical Center Centre Health System Department Unit Ward Service Insurance
    Medicare Medicaid Neurology Cardiology Gastroenterology Endocrinology Nephrology Oncology Hematology
    Pulmonology Respiratory Dermatology Urology Immunology Rheumatology Psychiatry Pediatrics Surgery
    Orthopedics Radiology Pathology Ophthalmology Obstetrics Gynecology Internal Medicine General
    Primary Care Intensive ICU ED ER OR CT MRI ECG EKG CXR HPI ROS PMH PSH FH SH Temp BP HR RR SpO2 Hb
    WBC CRP Chief Present Presenting Illness Past Current Active Problem Problems Type Stage Grade Class
    Scale Score Left Right Bilateral Acute Chronic Severe Mild Moderate Normal Abnormal Negative
    Positive Blood Urine Serum Plasma Start Stop Continue Increase Decrease Hold Check Repeat Order
    Ordered Signed Dictated Transcribed Reviewed Approved Electronically Thank Thanks Sincerely Best
    Regarding Patient's Mother Father Son Daughter Wife Husband Partner Sister Brother Friend Neighbor
    Caregiver Spouse Guardian Team Staff Resident Fellow Intern Student Pharmacy Lab Laboratory Unknown
    None Other See Per Via Q A P S O Reports Denies Presents Returns Remains Retired Teacher Mr. Mrs.
    Ms. Dr. Prof. Apt Suite Street Avenue Road Lane Drive Boulevard Court MD RN NP PA DO I You Your My
    Our Dear
    """.split()
)

# Eponyms and place-named diseases: these words, when part of a clinical phrase, are never names or
# places (the rules also protect any "Capitalised ... disease/syndrome/sign/..." phrase).
EN_EPONYM_PHRASES = [
    "Guillain-Barré",
    "Guillain-Barre",
    "Guillain Barre",
    "Stevens-Johnson",
    "Creutzfeldt-Jakob",
    "Charcot-Marie-Tooth",
    "Wolff-Parkinson-White",
    "Swan-Ganz",
    "Dix-Hallpike",
    "Ziehl-Neelsen",
    "Glasgow Coma Scale",
    "Apgar",
    "Killip",
    "Foley",
    "Holter",
    "Whipple",
    "Epley",
    "Romberg",
    "Babinski",
    "Kernig",
    "Brudzinski",
    "Trendelenburg",
    "Mallampati",
    "Framingham",
    "Child-Pugh",
    "Gram stain",
    "West Nile",
    "Lyme",
    "Ebola",
    "Zika",
    "Rocky Mountain spotted fever",
    "Legionnaires",
    # disease eponyms also written bare ("history of Hashimoto", "Graves ophthalmopathy", "Crohn colitis");
    # a weak hit (a place, a name guessed from a list) on them is dropped, "Mr. Graves" still goes
    "Hashimoto",
    "Graves",
    "Parkinson",
    "Crohn",
    "Cushing",
    "Addison",
    "Alzheimer",
    "Huntington",
    "Hodgkin",
    "Raynaud",
    "Sjögren",
    "Sjogren",
    "Kawasaki",
    "Behçet",
    "Behcet",
    "Takayasu",
    "Marfan",
    "Tourette",
    "Ménière",
    "Meniere",
    "Wernicke",
    "Korsakoff",
    "Kaposi",
    "Burkitt",
    "Hirschsprung",
    "Dupuytren",
    "Peyronie",
    "Kussmaul",
    "Hoehn-Yahr",
]
EN_EPONYM_HEADS = (
    "disease|diseases|syndrome|syndromes|sign|signs|palsy|thyroiditis|lymphoma|phenomenon|reflex|test|"
    "scale|score|maneuver|manoeuvre|catheter|monitor|procedure|criteria|classification|class|tube|triad|"
    "ulcer|esophagus|oesophagus|fracture|sarcoma|tumor|tumour|anemia|anaemia|disorder|dementia|chorea|"
    "ataxia|dystrophy|virus|fever|encephalopathy|block|node|point|law|stain|cell|cells|body|bodies|"
    "operation|repair|incision|position|murmur|contracture|cyst|diverticulum|neuroma|neuralgia|aneurysm|"
    "hernia|arteritis|encephalitis|angina|ileus|lesion|spots|sarcoidosis|granulomatosis|vasculitis|"
    "hypothesis|formula|equation|index|protocol|regimen|solution|coma|lobe|area|ring|line|lines|nodes|"
    "questionnaire|inventory|stage|stages|staging|method|technique|approach|agar|medium|tube"
)

# Countries and US states (and common nationality regions): coarser than a state/province, so kept.
EN_COARSE_PLACES = (
    set(
        """
    Alabama Alaska Arizona Arkansas California Colorado Connecticut Delaware Florida Georgia Hawaii
    Idaho Illinois Indiana Iowa Kansas Kentucky Louisiana Maine Maryland Massachusetts Michigan
    Minnesota Mississippi Missouri Montana Nebraska Nevada Ohio Oklahoma Oregon Pennsylvania Tennessee
    Texas Utah Vermont Virginia Washington Wisconsin Wyoming America USA Canada Mexico Brazil Argentina
    Chile Peru Colombia Cuba Haiti Jamaica England Scotland Wales Ireland Britain UK France Germany
    Spain Portugal Italy Greece Turkey Russia Ukraine Poland Sweden Norway Finland Denmark Netherlands
    Belgium Switzerland Austria Hungary Romania Egypt Morocco Nigeria Ghana Kenya Ethiopia Guinea
    Liberia Congo Uganda Tanzania Zambia Zimbabwe Africa Asia Europe India Pakistan Bangladesh China
    Japan Korea Vietnam Thailand Cambodia Laos Myanmar Malaysia Singapore Indonesia Philippines
    Australia Zealand Iran Iraq Israel Syria Lebanon Jordan Saudi Arabia Yemen Afghanistan Nepal Taiwan
    Albania Algeria Andorra Angola Armenia Azerbaijan Bahamas Bahrain Barbados Belarus Belize Benin
    Bhutan Bolivia Bosnia Botswana Brunei Bulgaria Burundi Cameroon Chad Comoros Croatia Cyprus Czechia
    Djibouti Dominica Ecuador Eritrea Estonia Eswatini Fiji Gabon Gambia Grenada Guatemala Guyana
    Honduras Iceland Kazakhstan Kiribati Kosovo Kuwait Kyrgyzstan Latvia Lesotho Libya Liechtenstein
    Lithuania Luxembourg Madagascar Malawi Maldives Mali Malta Mauritania Mauritius Micronesia Moldova
    Monaco Mongolia Montenegro Mozambique Namibia Nauru Nicaragua Niger Oman Palau Palestine Panama
    Paraguay Qatar Rwanda Samoa Senegal Serbia Seychelles Slovakia Slovenia Somalia Sudan Suriname
    Tajikistan Togo Tonga Tunisia Turkmenistan Tuvalu Uruguay Uzbekistan Vanuatu Venezuela Antarctica
    Caribbean Scandinavia Siberia Amazon Sahara Balkans Polynesia Melanesia Oceania Arctic Greenland
    Bermuda Guam Southeast Northeast Southwest Northwest Midwest Mainland Europe Eurasia Asia Americas
    Latin Central Middle East West North South Carribean Gulf Pacific Atlantic Himalayas Andes Alps
    """.split()
    )
    | {
        "Sri Lanka",
        "Costa Rica",
        "El Salvador",
        "Dominican Republic",
        "Central African Republic",
        "Ivory Coast",
        "Burkina Faso",
        "Cape Verde",
        "Sao Tome",
        "Equatorial Guinea",
        "Papua New Guinea",
        "Solomon Islands",
        "Marshall Islands",
        "Trinidad and Tobago",
        "East Timor",
        "Timor-Leste",
        "North Macedonia",
        "San Marino",
        "Vatican City",
        "United Arab Emirates",
        "Southeast Asia",
        "South Asia",
        "East Asia",
        "Central Asia",
        "Central America",
        "South America",
        "North America",
        "Latin America",
        "Middle East",
        "West Africa",
        "East Africa",
        "Sub-Saharan Africa",
        "North Africa",
        "Southern Africa",
        "Western Europe",
        "Eastern Europe",
        "Great Britain",
        "Czech Republic",
        "Sierra Leone",
        "Indian subcontinent",
        "Pacific Islands",
    }
    | {
        "New York",
        "New Jersey",
        "New Mexico",
        "New Hampshire",
        "North Carolina",
        "South Carolina",
        "North Dakota",
        "South Dakota",
        "Rhode Island",
        "West Virginia",
        "Puerto Rico",
        "Hong Kong",
        "South Africa",
        "New Zealand",
        "Sierra Leone",
        "Saudi Arabia",
        "South Korea",
        "North Korea",
        "United States",
        "United Kingdom",
    }
)

# Chinese cities (prefecture level and a few county-level ones): after a travel/residence cue they
# are taken whatever character follows (赴武汉华南…).
ZH_CITIES = set(
    """
    武汉 广州 深圳 杭州 南京 成都 西安 沈阳 长沙 郑州 济南 青岛 大连 厦门 苏州 无锡 宁波 温州 合肥 福州
    南昌 昆明 贵阳 南宁 兰州 太原 石家庄 哈尔滨 长春 呼和浩特 乌鲁木齐 银川 西宁 拉萨 海口 三亚 珠海
    佛山 东莞 中山 汕头 惠州 常州 徐州 扬州 南通 绍兴 嘉兴 金华 台州 湖州 洛阳 开封 宜昌 襄阳 岳阳 株洲
    衡阳 桂林 柳州 绵阳 南充 宜宾 遵义 大理 丽江 烟台 潍坊 淄博 威海 临沂 保定 唐山 邯郸 秦皇岛 包头
    鞍山 抚顺 延边 齐齐哈尔 大庆 赣州 九江 芜湖 蚌埠 安庆 泉州 漳州 莆田 义乌 昆山 江阴 张家港 十堰 荆州
    黄石 孝感 咸宁 恩施 常德 益阳 郴州 怀化 湛江 茂名 江门 肇庆 揭阳 梅州 韶关 清远 阳江 潮州 汕尾 河源
    云浮 盐城 淮安 连云港 宿迁 镇江 泰州 丽水 衢州 舟山 南阳 新乡 安阳 焦作 许昌 商丘 信阳 周口 驻马店
    漯河 濮阳 鹤壁 三门峡 平顶山 德州 聊城 菏泽 济宁 泰安 枣庄 日照 滨州 东营 沧州 廊坊 衡水 邢台 承德
    张家口 大同 运城 临汾 晋中 长治 阳泉 忻州 吕梁 宝鸡 咸阳 渭南 汉中 延安 榆林 安康 商洛 天水 酒泉
    喀什 伊犁 阿克苏 和田 库尔勒 克拉玛依 吐鲁番 哈密 鄂尔多斯 赤峰 通辽 呼伦贝尔 丹东 锦州 营口 阜新
    辽阳 铁岭 朝阳 盘锦 葫芦岛 四平 通化 白山 松原 白城 牡丹江 佳木斯 鸡西 双鸭山 伊春 七台河 黑河 绥化
    六安 阜阳 宿州 淮南 淮北 滁州 亳州 宣城 池州 铜陵 黄山 马鞍山 南平 三明 龙岩 宁德 上饶 抚州 吉安
    宜春 景德镇 萍乡 新余 鹰潭 北海 钦州 防城港 玉林 百色 河池 梧州 贺州 贵港 来宾 崇左 六盘水 安顺 毕节
    铜仁 曲靖 玉溪 保山 昭通 普洱 临沧 楚雄 红河 文山 西双版纳 德宏 攀枝花 泸州 德阳 广元 遂宁 内江 乐山
    眉山 广安 达州 雅安 巴中 资阳 自贡 凉山 阿坝 甘孜
    """.split()
)

# English words that follow "in/from/at" capitalised but are not places.
EN_NOT_PLACES = set(
    """
    Spanish English French Chinese Mandarin Cantonese Arabic Russian Portuguese Hindi German Italian
    Japanese Korean Vietnamese Tagalog Haitian Creole Somali Swahili Polish Greek Hebrew Urdu Bengali
    Punjabi Farsi African Asian Caucasian Hispanic Latino Latina Latinx Ashkenazi Jewish Jews Native
    Black White Mediterranean European American Americans Europeans Africans Asians Hispanics Indian
    Indians Mexican Irish Scandinavian Northern Southern Eastern Western Central Christmas Easter
    Thanksgiving Ramadan Lent Halloween Spring Summer Fall Autumn Winter Risk Phase Stage Grade Table
    Figure Appendix Section Chapter Part Group Medicare Medicaid Internet Google Facebook Twitter
    Instagram Tylenol Advil Motrin Aleve Benadryl Lasix Coumadin Plavix Lipitor Zoloft Prozac Xanax
    Valium Ativan Keppra Dilantin Synthroid Humira Remicade Eliquis Xarelto Januvia Ozempic Trulicity
    Jardiance Farxiga Entresto Norco Percocet Vicodin Narcan Suboxone Epipen EpiPen Figure Figures Image
    Images Exhibit Panel Box Video Photo Photograph Graph Mycobacterium Staphylococcus Streptococcus
    Escherichia Pseudomonas Klebsiella Candida Aspergillus Plasmodium Salmonella Shigella Listeria
    Neisseria Haemophilus Clostridium Clostridioides Borrelia Treponema Chlamydia Legionella
    Helicobacter Bacillus Enterococcus Cryptococcus Histoplasma Coccidioides Blastomyces Giardia
    Entamoeba Toxoplasma Trichomonas Schistosoma Leishmania Trypanosoma Babesia Rickettsia Bordetella
    Corynebacterium Vibrio Yersinia Brucella Francisella Bartonella Nocardia Actinomyces Pneumocystis
    Mucor Rhizopus Campylobacter Enterobacter Serratia Proteus Acinetobacter Moraxella Mycoplasma
    Ureaplasma Gardnerella Trichophyton Malassezia Sporothrix Strongyloides Ascaris Taenia Echinococcus
    Wuchereria Onchocerca Loa Toxocara Trichinella Enterobius Necator Ancylostoma Naegleria Acanthamoeba
    Cyclospora Cryptosporidium Isospora Microsporidia Tanner Valsalva Gram
    """.split()
)

# Large health systems and hospital brands written without "Hospital" (Kaiser Permanente Santa Clara).
EN_HEALTH_SYSTEMS = [
    "Kaiser Permanente",
    "Mayo Clinic",
    "Cleveland Clinic",
    "Mass General Brigham",
    "Mass General",
    "Johns Hopkins",
    "Mount Sinai",
    "NYU Langone",
    "Cedars-Sinai",
    "Sutter Health",
    "Sutter",  # its hospitals go by "Sutter <town>" (Sutter Roseville, Sutter Davis)
    "Intermountain",
    "Geisinger",
    "Ochsner",
    "Banner Health",
    "Atrium Health",
    "Advocate Aurora",
    "Northwell",
    "Penn Medicine",
    "UCLA Health",
    "UCSF Health",
    "Stanford Health Care",
    "Duke Health",
    "Vanderbilt",
    "Baylor Scott & White",
    "Memorial Hermann",
    "Houston Methodist",
    "MD Anderson",
    "Memorial Sloan Kettering",
    "Dana-Farber",
    "Beth Israel Lahey",
    "Lahey",
    "Tufts Medical",
    "Yale New Haven",
    "UPMC",
    "Henry Ford Health",
    "Spectrum Health",
    "Allina Health",
    "HCA Healthcare",
    "Ascension",
    "CommonSpirit",
    "Trinity Health",
    "Guy's and St Thomas'",
    "Kaiser",
]
