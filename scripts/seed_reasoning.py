"""Hand-written reasoning for 14 sample pairs, written for this project (see data/samples/README.md).

Run once to (re)build src/clinical_r1/data/samples/sft_seed.jsonl from records.jsonl.
"""

import json
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[1] / "src" / "clinical_r1" / "data" / "samples"

R = {
    "resp-001": (
        "An older smoker with three days of fever, rigors, rusty sputum and pleuritic pain on the right. Hmm, the exam "
        "gives dullness, increased fremitus and bronchial breathing in the right lower zone, which is consolidation, "
        "not an effusion. Wait, could this be a pulmonary embolism with infarction? The high neutrophil count, CRP 180 "
        "and procalcitonin 4.1 argue for bacterial infection, and the Gram stain shows lancet-shaped diplococci with a "
        "positive pneumococcal antigen. Also the X-ray shows lobar consolidation. So this is pneumococcal lobar pneumonia.",
        "The picture of acute fever, rusty sputum, pleuritic pain, focal consolidation signs and a lobar infiltrate, "
        "with pneumococcus on Gram stain and urinary antigen, fits community-acquired pneumococcal pneumonia of the "
        "right lower lobe.\n\nDiagnosis: Lobar pneumonia",
        "嗯，老年吸烟男性，发热寒战三天，咳铁锈色痰，右侧胸膜性胸痛。查体右下肺叩诊浊音、语颤增强、支气管呼吸音，这是肺实变，"
        "不是胸腔积液。等等，会不会是肺栓塞伴肺梗死？但白细胞和中性粒细胞明显升高，CRP 180，降钙素原4.1，提示细菌感染；"
        "痰涂片见柳叶刀形革兰阳性双球菌，尿肺炎链球菌抗原阳性。另外胸片为大叶实变。所以是肺炎链球菌所致大叶性肺炎。",
        "急性发热、铁锈色痰、胸膜性胸痛、局部实变体征及大叶性浸润影，痰涂片和尿抗原均支持肺炎链球菌，符合右下叶社区获得性肺炎。"
        "\n\n诊断：大叶性肺炎",
    ),
    "resp-003": (
        "A young woman with episodic wheeze, chest tightness and night cough, triggered by dust, cats, cold air and "
        "exercise, normal between attacks. Hmm, atopy everywhere: allergic rhinitis, childhood eczema, family hay fever. "
        "Wait, is this just vocal cord dysfunction? No, spirometry shows obstruction with FEV1/FVC 0.66 and an 18% "
        "bronchodilator response, which is reversible airflow obstruction. Also she never smoked, so COPD is unlikely. "
        "Variable, reversible obstruction with allergic triggers means allergic asthma.",
        "Recurrent wheeze and cough with allergen triggers, an atopic background and reversible obstruction on "
        "spirometry establish asthma of the allergic phenotype.\n\nDiagnosis: Allergic asthma",
        "嗯，年轻女性，反复发作喘息、胸闷、夜间咳嗽，诱因是打扫灰尘、接触猫、冷空气和运动，发作间期正常。过敏背景明显："
        "过敏性鼻炎、儿时湿疹、家族花粉症。等等，会不会是声带功能障碍？不对，肺功能FEV1/FVC 0.66，支气管舒张后FEV1增加18%，"
        "是可逆性气流受限。另外从不吸烟，慢阻肺可能性小。变应原诱发、可逆性阻塞，考虑过敏性哮喘。",
        "反复喘息咳嗽、变应原诱发、特应性背景及可逆性气流受限，符合过敏性（变应性）哮喘。\n\n诊断：过敏性哮喘",
    ),
    "gi-002": (
        "Sudden severe epigastric pain boring to the back after a fatty meal, vomiting, leaning forward. Hmm, lipase is "
        "1850, far above three times normal, so acute pancreatitis. What caused it? She does not drink, and she has known "
        "gallstones. Wait, the ALT of 310 and raised bilirubin with mild icterus point to a passing stone in the common "
        "bile duct. Also no flank bruising, so no sign of haemorrhage yet. A gallstone trigger makes this acute biliary "
        "pancreatitis.",
        "Typical pain with lipase above three times the upper limit confirms acute pancreatitis; known cholelithiasis, "
        "no alcohol and a cholestatic, ALT-predominant rise point to a biliary cause.\n\nDiagnosis: Acute biliary "
        "pancreatitis",
        "嗯，油腻饮食后突发剧烈上腹痛，向背部放射，伴呕吐，前倾位缓解。脂肪酶1850，超过正常上限三倍，急性胰腺炎成立。"
        "病因呢？不饮酒，已知胆囊结石。等等，ALT 310、胆红素升高、轻度黄疸，提示结石经过胆总管。另外无腰腹部瘀斑。"
        "胆石诱发，考虑急性胆源性胰腺炎。",
        "典型腹痛加脂肪酶升高超过三倍确立急性胰腺炎；胆囊结石、无饮酒史及以ALT升高为主的胆汁淤积改变提示胆源性。"
        "\n\n诊断：急性胆源性胰腺炎",
    ),
    "gi-009": (
        "A teenager with jaundice and a Coombs-negative haemolytic anaemia, plus six months of tremor, dysarthria and a "
        "change in behaviour. Hmm, liver disease with neuropsychiatric signs in a young person. Wait, the slit lamp shows "
        "a golden-brown corneal ring: that is a Kayser-Fleischer ring. Also the parents are cousins and a sister died of "
        "liver failure, so an autosomal recessive disorder. The low ALT relative to the degree of illness fits too. This "
        "is Wilson disease, copper overload.",
        "Hepatic disease with non-immune haemolysis, movement disorder, Kayser-Fleischer rings and a recessive family "
        "history indicate Wilson disease; low caeruloplasmin and high urinary copper would confirm it.\n\nDiagnosis: "
        "Wilson disease",
        "嗯，青少年，黄疸伴Coombs阴性溶血性贫血，还有半年的震颤、构音障碍和行为改变。年轻人肝病合并神经精神症状。"
        "等等，裂隙灯见角膜周边金褐色环，这是K-F环。另外父母是表亲，姐姐死于肝衰竭，提示常染色体隐性遗传。"
        "考虑肝豆状核变性（Wilson病），铜代谢障碍。",
        "肝病、非免疫性溶血、锥体外系症状、K-F环及隐性遗传家族史，符合肝豆状核变性；铜蓝蛋白降低和尿铜升高可确诊。"
        "\n\n诊断：肝豆状核变性",
    ),
    "uro-001": (
        "Sudden colicky left flank pain radiating to the groin and penis, restless, vomiting, with haematuria. Hmm, a "
        "previous similar episode, dehydration from outdoor work and a high urate. Wait, could this be a leaking aortic "
        "aneurysm? He is 38, haemodynamically stable, with costovertebral tenderness, so renal colic is far more likely. "
        "Also no fever and negative nitrites, so no obstructed infection. The non-contrast CT shows the stone in the "
        "ureter. Ureteric calculus.",
        "Loin-to-groin colic with microscopic haematuria and a stone on non-contrast CT, without signs of infection, "
        "is an uncomplicated ureteric calculus.\n\nDiagnosis: Ureteric calculus",
        "嗯，突发左侧腰部绞痛，放射至腹股沟和阴茎，坐立不安，呕吐，伴血尿。既往类似发作，户外工作饮水少，尿酸偏高。"
        "等等，会不会是腹主动脉瘤渗漏？患者38岁，生命体征稳定，肋脊角叩痛，肾绞痛可能性大得多。另外无发热、亚硝酸盐阴性，"
        "不支持梗阻合并感染。CT平扫见输尿管内结石。输尿管结石。",
        "腰部至腹股沟的绞痛、镜下血尿及CT平扫所见结石，且无感染征象，为单纯性输尿管结石。\n\n诊断：输尿管结石",
    ),
    "uro-002": (
        "An older man with two years of weak stream, hesitancy, straining, incomplete emptying and nocturia four times. "
        "Hmm, lower urinary tract symptoms of outflow obstruction. The prostate is smooth, symmetrical, rubbery, about 60 "
        "g, with a preserved sulcus and no nodules. Wait, could it be prostate cancer? PSA 3.2 with a normal-feeling "
        "gland and no bone pain or weight loss makes that less likely. Also no drugs that cause retention and normal "
        "urinalysis. Benign prostatic hyperplasia.",
        "Progressive obstructive and storage symptoms with a smoothly enlarged benign-feeling prostate and a PSA "
        "consistent with its size indicate benign prostatic hyperplasia.\n\nDiagnosis: Benign prostatic hyperplasia",
        "嗯，老年男性，两年来尿线变细、排尿踌躇、费力、排尿不尽，夜尿四次。这是下尿路梗阻症状。直肠指检前列腺光滑对称、"
        "质韧，约60克，中央沟存在，无结节。等等，会不会是前列腺癌？PSA 3.2，指检无异常，无骨痛和体重下降，可能性不大。"
        "另外无致尿潴留药物，尿常规正常。良性前列腺增生。",
        "进行性梗阻及储尿期症状，前列腺均匀增大、质地良性，PSA与体积相符，符合良性前列腺增生。\n\n诊断：良性前列腺增生",
    ),
    "card-003": (
        "Progressive breathlessness, orthopnoea, paroxysmal nocturnal dyspnoea and ankle oedema: heart failure. Hmm, why? "
        "Twenty years of hypertension, treatment stopped, BP 186/108. The apex is heaving and sustained, there is an S4, "
        "and the fundi show hypertensive changes, so long-standing pressure overload. Wait, no chest pain, but could it "
        "be ischaemic? Nothing here points to infarction. Also NT-proBNP 4800 and crackles confirm congestion. This is "
        "hypertensive heart disease with heart failure.",
        "Congestive heart failure with signs of long-standing pressure overload and hypertensive retinopathy in an "
        "untreated hypertensive patient is hypertensive heart disease with heart failure.\n\nDiagnosis: Hypertensive "
        "heart disease with heart failure",
        "嗯，活动后气促进行性加重、端坐呼吸、夜间阵发性呼吸困难、双下肢水肿：心力衰竭。原因呢？高血压20年，停药一年，"
        "血压186/108。心尖搏动抬举样且持续、可闻及第四心音，眼底高血压改变，提示长期压力负荷过重。等等，会不会是缺血性？"
        "无胸痛，没有提示心梗的证据。另外NT-proBNP 4800和肺底湿啰音证实淤血。高血压性心脏病伴心力衰竭。",
        "未治疗高血压患者出现充血性心衰，伴长期压力负荷过重体征及高血压视网膜病变，符合高血压性心脏病伴心力衰竭。"
        "\n\n诊断：高血压性心脏病伴心力衰竭",
    ),
    "card-005": (
        "Weeks of fever, sweats and weight loss after a dental extraction, in a man with a bicuspid aortic valve. Hmm, a "
        "new early diastolic murmur means aortic regurgitation. Splinter haemorrhages, Janeway lesions, Osler nodes, "
        "conjunctival petechiae and splenomegaly are the vascular and immunological signs. Wait, could it be lymphoma "
        "with a flow murmur? No, the murmur is regurgitant and new. Also anaemia, high CRP and ESR fit. This is "
        "infective endocarditis, likely viridans streptococci.",
        "Fever with a predisposing valve, a dental source, a new regurgitant murmur and embolic and immunological "
        "signs meets the clinical criteria for infective endocarditis; blood cultures and echocardiography confirm it."
        "\n\nDiagnosis: Infective endocarditis",
        "嗯，拔牙后数周发热、盗汗、消瘦，既往二叶式主动脉瓣。新出现舒张早期杂音，提示主动脉瓣反流。甲下线状出血、Janeway损害、"
        "Osler结节、结膜瘀点和脾大，是血管及免疫现象。等等，会不会是淋巴瘤伴血流杂音？不对，杂音为新出现的反流性杂音。"
        "另外贫血、CRP和血沉升高也相符。感染性心内膜炎，草绿色链球菌可能性大。",
        "有易感瓣膜、牙源性感染、新出现反流性杂音及栓塞和免疫现象的发热，符合感染性心内膜炎的临床标准；血培养和超声心动图可确诊。"
        "\n\n诊断：感染性心内膜炎",
    ),
    "immu-001": (
        "A young woman with fatigue, fever, inflammatory small-joint arthritis, alopecia, a photosensitive malar rash "
        "sparing the nasolabial folds and painless palatal ulcers. Hmm, multisystem autoimmune disease. The cytopenias "
        "(leucopenia, lymphopenia, thrombocytopenia) fit too. Wait, frothy urine, oedema and hypertension mean kidney "
        "involvement. Also rheumatoid arthritis would not give the rash or ulcers. Systemic lupus erythematosus with "
        "lupus nephritis; anti-dsDNA and low complement and a renal biopsy would classify it.",
        "Malar rash, oral ulcers, arthritis, cytopenias and proteinuric renal disease in a young woman fulfil the "
        "criteria for systemic lupus erythematosus with renal involvement.\n\nDiagnosis: Systemic lupus erythematosus "
        "with lupus nephritis",
        "嗯，年轻女性，乏力、低热、小关节炎、脱发，日晒后面颊蝶形红斑不累及鼻唇沟，无痛性上腭溃疡。多系统自身免疫病。"
        "血细胞减少（白细胞、淋巴细胞、血小板）也相符。等等，泡沫尿、水肿和高血压提示肾脏受累。另外类风湿关节炎不会有皮疹和溃疡。"
        "系统性红斑狼疮伴狼疮性肾炎；抗dsDNA、补体和肾活检可进一步分型。",
        "年轻女性出现蝶形红斑、口腔溃疡、关节炎、血细胞减少及蛋白尿性肾损害，符合系统性红斑狼疮伴肾脏受累。"
        "\n\n诊断：系统性红斑狼疮伴狼疮性肾炎",
    ),
    "immu-008": (
        "Sudden night-time excruciating pain, redness and swelling of the first MTP joint after seafood and beer. Hmm, "
        "classic podagra. A previous self-limiting ankle attack, thiazide use, obesity. Wait, could it be septic "
        "arthritis? He is only mildly febrile, it is a recurrent pattern, and there are chalky nodules on the ear and "
        "elbow, which are tophi. Also urate 540. Crystal arthritis from urate: gout.",
        "Recurrent acute monoarthritis of the first metatarsophalangeal joint with dietary triggers, diuretic use, "
        "tophi and hyperuricaemia is gout; joint aspiration would show negatively birefringent crystals.\n\nDiagnosis: "
        "Gout",
        "嗯，进食海鲜饮啤酒后夜间突发第一跖趾关节剧痛、红肿，典型的足痛风。既往踝关节自限性发作，服噻嗪类利尿剂，肥胖。"
        "等等，会不会是化脓性关节炎？仅低热，呈反复发作，且耳廓和肘部有白垩样结节，是痛风石。另外血尿酸540。尿酸盐晶体关节炎：痛风。",
        "第一跖趾关节反复急性单关节炎，伴饮食诱因、利尿剂、痛风石和高尿酸血症，符合痛风；关节液可见负性双折光晶体。"
        "\n\n诊断：痛风",
    ),
    "neuro-004": (
        "An older man with an asymmetric rest tremor of the right hand, micrographia, hypophonia and slowness. Hmm, "
        "bradykinesia with rest tremor and cogwheel rigidity is parkinsonism. Wait, is it drug-induced? He never took "
        "antipsychotics or antiemetics. Could it be an atypical syndrome? No early falls, and the tremor is "
        "asymmetric. Also constipation, anosmia and REM sleep behaviour disorder are classic prodromal features. "
        "Idiopathic Parkinson disease.",
        "Asymmetric bradykinesia with rest tremor and rigidity, no drug exposure, no red flags for atypical "
        "parkinsonism and typical prodromal features indicate Parkinson disease.\n\nDiagnosis: Parkinson disease",
        "嗯，老年男性，右手静止性震颤，写字变小，声音变低，动作缓慢。运动迟缓加静止性震颤和齿轮样强直，是帕金森综合征。"
        "等等，是药物性的吗？从未用过抗精神病药或止吐药。会不会是非典型帕金森综合征？无早期跌倒，震颤不对称。"
        "另外便秘、嗅觉减退和快速眼动睡眠行为障碍是典型前驱症状。原发性帕金森病。",
        "不对称的运动迟缓伴静止性震颤和强直，无用药史，无非典型帕金森综合征的警示征象，并有典型前驱症状，符合帕金森病。"
        "\n\n诊断：帕金森病",
    ),
    "neuro-010": (
        "Overnight onset of right facial weakness including the forehead, incomplete eye closure, hyperacusis and "
        "altered taste, after postauricular pain. Hmm, forehead involvement means a lower motor neuron lesion of the "
        "facial nerve, not a stroke. Wait, Ramsay Hunt? No vesicles or ear rash, no hearing loss or vertigo. Lyme? No "
        "tick bites. Also no other cranial nerve or limb signs. Idiopathic facial nerve palsy: Bell palsy.",
        "Acute isolated lower motor neuron facial palsy with hyperacusis and taste change and no rash, hearing loss or "
        "other deficits is Bell palsy.\n\nDiagnosis: Bell palsy",
        "嗯，一夜之间出现右侧面瘫，额纹也消失，闭眼不全，听觉过敏，味觉改变，之前耳后疼痛。额肌受累说明是面神经下运动神经元病变，"
        "不是卒中。等等，会是Ramsay Hunt综合征吗？无耳部疱疹，无听力下降和眩晕。莱姆病？无蜱虫叮咬。另外无其他脑神经或肢体体征。"
        "特发性面神经麻痹。",
        "急性孤立性周围性面瘫，伴听觉过敏和味觉改变，无疱疹、听力下降或其他神经缺损，为特发性面神经麻痹（贝尔麻痹）。"
        "\n\n诊断：特发性面神经麻痹",
    ),
    "endo-002": (
        "A young woman with palpitations, heat intolerance, weight loss with a good appetite, tremor and loose stools: "
        "thyrotoxicosis. Hmm, what cause? A diffuse goitre with a bruit suggests increased vascularity. Wait, the eyes: "
        "proptosis, lid retraction and periorbital swelling, and orange-peel plaques on the shins, which is pretibial "
        "myxoedema. Also no iodine or amiodarone exposure. Orbitopathy and dermopathy are specific to autoimmune "
        "hyperthyroidism: Graves disease.",
        "Thyrotoxicosis with a diffuse vascular goitre, orbitopathy and pretibial myxoedema is Graves disease; "
        "suppressed TSH with high free T4 and TSH-receptor antibodies confirm it.\n\nDiagnosis: Graves disease",
        "嗯，年轻女性，心悸、怕热、多食却消瘦、手抖、大便次数多：甲状腺毒症。病因呢？弥漫性甲状腺肿伴血管杂音，提示血供增加。"
        "等等，眼部：突眼、眼睑退缩、眶周水肿，胫前橘皮样斑块，是胫前黏液性水肿。另外无碘或胺碘酮接触史。"
        "眼病和皮肤病变是自身免疫性甲亢特有的：Graves病。",
        "甲状腺毒症伴弥漫性甲状腺肿、眼病和胫前黏液性水肿，符合Graves病；TSH抑制、游离T4升高及TSH受体抗体可确诊。"
        "\n\n诊断：Graves病",
    ),
    "endo-006": (
        "Months of fatigue, anorexia, weight loss, salt craving and postural dizziness, with skin darkening in palmar "
        "creases, scars and buccal mucosa. Hmm, hyperpigmentation means high ACTH, so a primary adrenal problem. Sodium "
        "126 and potassium 5.8 fit mineralocorticoid deficiency too. Wait, could it be secondary adrenal insufficiency? "
        "No, that causes no pigmentation or hyperkalaemia. Also autoimmune hypothyroidism and vitiligo suggest "
        "autoimmune polyglandular disease. Primary adrenal insufficiency: Addison disease.",
        "Chronic fatigue, weight loss, orthostatic hypotension, hyperpigmentation, hyponatraemia and hyperkalaemia "
        "with other autoimmune disease indicate autoimmune primary adrenal insufficiency.\n\nDiagnosis: Addison disease",
        "嗯，数月乏力、纳差、消瘦、嗜盐、体位性头晕，掌纹、瘢痕和颊黏膜色素加深。色素沉着提示ACTH升高，是原发性肾上腺问题。"
        "血钠126、血钾5.8也符合盐皮质激素缺乏。等等，会不会是继发性肾上腺皮质功能减退？那不会有色素沉着和高钾。"
        "另外自身免疫性甲减和白癜风提示自身免疫性多腺体病。原发性肾上腺皮质功能减退症：Addison病。",
        "慢性乏力、消瘦、体位性低血压、皮肤色素沉着、低钠高钾并合并其他自身免疫病，符合自身免疫性原发性肾上腺皮质功能减退症。"
        "\n\n诊断：Addison病",
    ),
}


def main() -> None:
    records = {}
    for line in (SAMPLES / "records.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        records[(row["meta"]["pair_id"], row["language"])] = row
    out = []
    for pair_id, (en_think, en_resp, zh_think, zh_resp) in R.items():
        for lang, thinking, response in (("en", en_think, en_resp), ("zh", zh_think, zh_resp)):
            rec = records[(pair_id, lang)]
            out.append(
                {
                    "id": f"seed-{rec['id']}",
                    "question": rec["case"],
                    "thinking": thinking,
                    "response": response,
                    "reference": rec["diagnosis"],
                    "language": lang,
                    "department": rec["department"],
                    "route": "curated",
                    "trace": {"record_id": rec["id"], "written_by": "clinical-r1 project (hand-written)"},
                    "usage": {},
                }
            )
    path = SAMPLES / "sft_seed.jsonl"
    path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in out), encoding="utf-8")
    print(f"{len(out)} examples -> {path}")


if __name__ == "__main__":
    main()
