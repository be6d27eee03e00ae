"""Synthetic offerings and scenarios for benchmarks and load tests (seeded, reproducible).

The descriptions are assembled from per-domain Chinese phrases, model names and numbers, so each
one is distinct text with realistic vocabulary; the attributes cover every vocabulary value.
"""

from __future__ import annotations

import random

from moli.market.schemas import DEPLOYMENTS, DOMAINS, TASKS, Offering, Scenario

PHRASES = {
    "government_affairs": ["政务服务", "一网通办", "政策问答", "公文写作", "12345热线", "工单分类", "行政审批", "政策文件解读"],
    "biomedicine": ["药物研发", "分子设计", "临床试验", "病历结构化", "精准医疗", "医学问答", "基因组分析", "药物警戒"],
    "transportation": ["智慧交通", "港口调度", "航运物流", "交通流预测", "轨道交通", "事故报告分析", "路网规划", "集装箱"],
    "finance_trade": ["金融风控", "智能投研", "反洗钱", "跨境贸易", "信贷审批", "研报摘要", "合规审查", "保险理赔"],
    "spatial_geography": ["遥感影像", "地理信息", "城市规划", "测绘", "空间分析", "国土资源", "地址解析", "地图服务"],
    "meteorology": ["天气预报", "气象预警", "气候分析", "降水预测", "台风路径", "气象服务", "数值预报", "灾害天气"],
    "other": ["教育辅导", "法律咨询", "客服对话", "电商营销", "内容创作", "文旅导览", "工业质检", "能源调度"],
    "general": ["通用对话", "知识问答", "长文本理解", "多轮对话", "代码助手", "文档摘要", "中英翻译", "逻辑推理"],
}
QUALITIES = ["高精度", "低延迟", "可解释", "安全合规", "支持长上下文", "支持私有化", "开箱即用", "轻量化", "多语言", "高并发"]
VENDORS = ["张江智算", "浦江模型", "临港数科", "海河智能", "东方语言", "陆家嘴数据", "申城云", "金桥科技", "外滩智研", "世博智联"]
COUNTRIES = ["CN", "CN", "CN", "CN", "SG", "US", "DE", "JP", "HK"]
LICENSES = [("Apache-2.0", True), ("MIT", True), ("qwen", True), ("llama3", True), ("CC-BY-NC-4.0", False),
            ("proprietary", True), ("research-only", False)]
BENCHES = ["C-Eval", "CMMLU", "MMLU", "GSM8K", "HumanEval", "MedQA", "FinanceIQ", "LongBench"]


def generate_offerings(n: int, seed: int = 7) -> list[Offering]:
    rng = random.Random(seed)
    doms = [d for d in DOMAINS if d != "other"] + ["other"]
    out = []
    for i in range(n):
        dom = rng.choice(doms)
        domains = [dom] if rng.random() < 0.8 else [dom, "general"]
        tasks = rng.sample(TASKS, rng.randint(1, 3))
        ph = rng.sample(PHRASES[dom], 3) + rng.sample(PHRASES["general"], 1)
        vendor = rng.choice(VENDORS)
        name = f"{vendor[:2]}{rng.choice(['灵犀', '天枢', '玄机', '星河', '磐石', '鲲鹏'])}-{i}"
        desc = (f"{name}是{vendor}面向{ph[0]}和{ph[1]}的{rng.choice(QUALITIES)}行业大模型，"
                f"擅长{ph[2]}与{ph[3]}，{rng.choice(QUALITIES)}，已在{rng.randint(2, 90)}家单位试点，"
                f"参数量{rng.choice([1.8, 7, 14, 32, 72])}B。")
        deployment = rng.sample(DEPLOYMENTS, rng.randint(1, 3))
        lic, commercial = rng.choice(LICENSES)
        filing = rng.choice(["filed", "registered", "none", "none"])
        evaluations = [{"benchmark": b, "metric": "accuracy", "score": round(rng.uniform(30, 90), 1)}
                       for b in rng.sample(BENCHES, rng.randint(0, 3))]
        out.append(Offering(
            id=f"gen-{i:06d}", name=name, vendor=vendor, description=desc, tasks=tasks, domains=domains,
            languages=["zh"] if rng.random() < 0.6 else ["zh", "en"],
            modalities=["text"] if rng.random() < 0.85 else ["text", "image"],
            context_length=rng.choice([4096, 8192, 32768, 131072]), parameters_b=rng.choice([1.8, 7, 14, 32, 72]),
            deployment=deployment, license=lic, commercial_use=commercial,
            filing={"status": filing, "number": f"Shanghai-Gen-{i:06d}" if filing != "none" else None},
            data_residency=sorted(set(rng.sample(COUNTRIES, rng.randint(1, 2)))),
            price_per_million_tokens_cny=None if rng.random() < 0.2 else round(rng.uniform(0.5, 60), 2),
            evaluations=evaluations,
        ))
    return out


def generate_scenarios(n: int, seed: int = 11) -> list[Scenario]:
    rng = random.Random(seed)
    doms = [d for d in DOMAINS if d not in ("other", "general")]
    out = []
    for i in range(n):
        dom = rng.choice(doms)
        ph = rng.sample(PHRASES[dom], 3)
        cons: dict = {}
        if rng.random() < 0.6:
            cons["deployment"] = rng.sample(DEPLOYMENTS, rng.randint(1, 2))
        if rng.random() < 0.5:
            cons["requires_filing"] = True
        if rng.random() < 0.5:
            cons["data_must_stay_in"] = "CN"
        if rng.random() < 0.5:
            cons["min_context_length"] = rng.choice([8192, 32768])
        if rng.random() < 0.5:
            cons["max_price_per_million_tokens_cny"] = rng.choice([5, 20, 50])
        if rng.random() < 0.5:
            cons["commercial_use"] = True
        out.append(Scenario(
            id=f"scn-{i:04d}", title=f"{ph[0]}场景{i}",
            description=f"我们需要一个用于{ph[0]}的模型，支持{ph[1]}和{ph[2]}，要求{rng.choice(QUALITIES)}。",
            industry=dom, tasks=rng.sample(TASKS, rng.randint(1, 2)), languages=["zh"], constraints=cons,
        ))
    return out
