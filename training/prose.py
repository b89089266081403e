"""The words of a synthetic report: who issues it, its title, intro, six sections and signature.

Sentences are recombined from patterns taken from real reports (the seeds). The one figure the
rules read from prose (the number of applications received, ``validate.stated_applications``)
is stated only where ``write`` is asked to; every other figure avoids that pattern.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from extractor.stages.validate import stated_applications

CITIES = ("连州市", "英德市", "乐昌市", "南雄市", "兴宁市", "四会市", "罗定市", "廉江市", "高州市",
          "信宜市", "阳春市", "开平市", "台山市", "鹤山市", "陆丰市", "普宁市")
PREFECTURES = ("清远市", "梅州市", "韶关市", "河源市", "肇庆市", "云浮市", "湛江市", "茂名市")
COUNTIES = ("五华县", "连南瑶族自治县", "连山壮族瑶族自治县", "阳山县", "佛冈县", "大埔县", "丰顺县",
            "平远县", "蕉岭县", "龙川县", "紫金县", "和平县", "连平县", "东源县", "始兴县", "仁化县",
            "翁源县", "新丰县", "乳源瑶族自治县", "怀集县", "广宁县", "德庆县", "封开县", "郁南县")
TOWNS = ("黎埠镇", "石潭镇", "大麦山镇", "寨岗镇", "三江镇", "星子镇", "水口镇", "华城镇", "岐岭镇",
         "横陂镇", "安流镇", "龙村镇", "三排镇", "香坪镇", "连生乡", "瑶安瑶族乡", "上帅镇", "九陂镇")
BUREAUS = ("民政局", "教育局", "财政局", "自然资源局", "生态环境局", "交通运输局", "农业农村局",
           "卫生健康局", "市场监督管理局", "人力资源和社会保障局", "住房和城乡建设局", "应急管理局",
           "统计局", "医疗保障局", "林业局", "水务局", "司法局", "文化广电旅游体育局")


@dataclass(frozen=True)
class Body:
    """The issuing body, as the prose refers to it."""
    issuer: str | None     # None: the report never names itself
    place: str             # 连州市 / 五华县 / 华城镇 ("" when unknown)
    we: str                # 我市 / 我县 / 我镇 / 我局 / 本机关
    scale: float           # how busy the body is: multiplies its disclosure counts
    office: str            # who answers questions about the report


def issuer_for(rng: random.Random) -> Body:
    kind = rng.choices(("city_office", "prefecture_office", "county", "county_office", "town", "bureau"),
                       weights=(3, 1, 3, 2, 2, 4))[0]
    if kind == "city_office":
        place = rng.choice(CITIES)
        return Body(f"{place}人民政府办公室", place, "我市", 3, f"{place}人民政府办公室综合信息组")
    if kind == "prefecture_office":
        place = rng.choice(PREFECTURES)
        return Body(f"{place}人民政府办公室", place, "我市", 6, f"{place}人民政府办公室政务公开科")
    if kind in ("county", "county_office"):
        place = rng.choice(COUNTIES)
        office = "人民政府" if kind == "county" else "人民政府办公室"
        return Body(f"{place}{office}", place, "我县", 3, f"{place}人民政府办公室政务公开股")
    if kind == "town":
        county, place = rng.choice(COUNTIES), rng.choice(TOWNS)
        issuer = f"{place}人民政府" if rng.random() < 0.5 else f"{county}{place}人民政府"
        return Body(issuer, place, "我乡" if place.endswith("乡") else "我镇", 0.3, f"{place}党政办公室")
    place = rng.choice(CITIES + COUNTIES)
    bureau = rng.choice(BUREAUS)
    return Body(f"{place}{bureau}", place, "我局", 1, f"{place}{bureau}办公室")


def body_for(issuer: str | None) -> Body:
    """The body of a given issuer name (None: a report that never names itself)."""
    if issuer is None:
        return Body(None, "", "本机关", 1, "本机关办公室")
    for suffix, we, scale in (("局", "我局", 1), ("乡人民政府", "我乡", 0.3), ("镇人民政府", "我镇", 0.3),
                              ("县人民政府", "我县", 3), ("县人民政府办公室", "我县", 3),
                              ("市人民政府", "我市", 3), ("市人民政府办公室", "我市", 3)):
        if issuer.endswith(suffix):
            place = issuer[: len(issuer) - len(suffix) + 1] if "人民政府" in suffix else issuer
            return Body(issuer, place, we, scale, f"{issuer}办公室")
    return Body(issuer, issuer, "本机关", 1, f"{issuer}办公室")


# --- the report -----------------------------------------------------------------------------------

def write(content, rng: random.Random, body: Body, stated: int | None, identified: bool = False) -> None:
    """Fill ``content``'s title, intro, sections and signature; ``stated`` is the number of
    applications the prose states (None: it states none). ``identified``: the title names the
    issuer and the report is signed and dated (the same draws are made, so that a seed's other
    choices stay as they were)."""
    from .content import Paragraph, SectionContent

    year = content.year
    named = body.issuer is not None and (rng.random() < 0.85 or identified)
    content.title = f"{body.issuer}{year}年政府信息公开工作年度报告" if named else f"{year}年政府信息公开工作年度报告"
    if not named:
        content.traits.append("title_without_issuer")
    if rng.random() < 0.85 or identified:
        month = rng.choice((1, 1, 1, 2, 3))
        day = rng.randint(1, 28)
        content.date = f"{year + 1}-{month:02d}-{day:02d}"
        sep = " " if rng.random() < 0.6 else ""
        content.date_text = f"{year + 1}{sep}年{sep}{month}{sep}月{sep}{day}{sep}日"
        content.signer = body.issuer
    else:
        content.traits.append("unsigned")
    fill = _Filler(rng, body, year)
    content.intro = [Paragraph(t) for t in _intro(fill, content)] if rng.random() < 0.6 else []
    where = rng.choice(("一", "一", "三")) if stated is not None else None
    statement = _statement(fill, stated) if stated is not None else None
    all_zero_review = all(not v for v in content.tables["review_litigation"].values())

    sections = [
        SectionContent("一", "总体情况", _overview(fill, statement if where == "一" else None)),
        SectionContent("二", "主动公开政府信息情况", []),
        SectionContent("三", "收到和处理政府信息公开申请情况",
                       [Paragraph(statement)] if where == "三" else []),
        SectionContent("四", "政府信息公开行政复议、行政诉讼情况",
                       [Paragraph(fill.pick(REVIEW_NONE))] if all_zero_review and rng.random() < 0.3 else []),
        SectionContent("五", rng.choice(("存在的主要问题及改进情况", "存在的主要问题及改进情况",
                                        "存在问题及下一步工作", "存在的主要问题及改进措施")), _problems(fill)),
        SectionContent("六", "其他需要报告的事项", [Paragraph(fill.pick(OTHER_MATTERS))]),
    ]
    content.sections = sections
    said = [n for s in sections for p in s.paragraphs for n in stated_applications(p.text)]
    if said != ([] if stated is None else [stated]):
        raise AssertionError(f"prose states {said}, meant {stated}: a sentence pattern reads as a statement")
    if stated is None:
        content.traits.append("prose_states_nothing")
    else:
        content.traits.append(f"prose_statement_in_{where}")


class _Filler:
    """Fills sentence patterns: {year} {we} {place} {issuer} and random figures {n1} … {n4}."""

    def __init__(self, rng: random.Random, body: Body, year: int):
        self.rng, self.body, self.year = rng, body, year

    def pick(self, patterns, **extra) -> str:
        return self.fill(self.rng.choice(patterns), **extra)

    def fill(self, pattern: str, **extra) -> str:
        r = self.rng
        scale = max(self.body.scale, 0.3)
        values = dict(year=self.year, we=self.body.we, place=self.body.place or "本地",
                      issuer=self.body.issuer or "本机关", office=self.body.office,
                      n1=int(r.randint(50, 3000) * scale) + 400, n2=r.randint(2, 60), n3=r.randint(1, 12),
                      n4=r.randint(10, 400), party=_party(self.year))
        values.update(extra)
        return pattern.format(**values)


def _party(year: int) -> str:
    return "党的二十大精神" if year >= 2022 else "党的十九大和十九届历次全会精神"


def _intro(fill: _Filler, content) -> list[str]:
    fmt_doc = ("《国务院办公厅政府信息与政务公开办公室关于印发〈中华人民共和国政府信息公开工作年度报告格式〉"
               "的通知》（国办公开办函〔2021〕30号）" if content.format == "2021" else "上级有关文件")
    first = fill.fill("根据《中华人民共和国政府信息公开条例》（以下简称《条例》）及" + fmt_doc
                      + "等规定，现公布{issuer}{year}年政府信息公开工作年度报告。")
    second = fill.fill(
        "本报告由总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议、"
        "行政诉讼情况、存在的主要问题及改进情况、其他需要报告的事项等六部分组成，内容涵盖{year}年1月1日"
        "至12月31日期间的政府信息公开工作情况。")
    third = fill.fill("本报告的电子版可在{place}人民政府门户网站查阅和下载。如对本报告有任何疑问，请与{office}"
                      "联系（邮编：51{p}00，电话：0763—66{t}）。",
                      p=fill.rng.randint(1000, 9999) // 10 % 1000, t=fill.rng.randint(10000, 99999))
    return [first, second + third] if fill.rng.random() < 0.5 else [first + second, third]


def _statement(fill: _Filler, n: int) -> str:
    if n == 0:
        return fill.pick(STATEMENT_NONE)
    return fill.pick(STATEMENT, n=n)


def _overview(fill: _Filler, statement: str | None) -> list:
    from .content import Paragraph

    rng = fill.rng
    paragraphs = [Paragraph(fill.pick(OPENING))]
    topics = [t for t in OVERVIEW_TOPICS if t[0] == "依申请公开" or rng.random() < 0.7]
    style = rng.choice(("own_line", "inline", "enumerated"))
    if style == "enumerated":
        parts = []
        for i, (topic, patterns) in enumerate(topics):
            text = fill.pick(patterns)
            if topic == "依申请公开" and statement:
                text += statement
            parts.append(f"{ENUM[i]}是{TOPIC_LEAD[topic]}。{text}")
        paragraphs.append(Paragraph("".join(parts)))
        return paragraphs
    suffix = rng.choice(("方面。", "方面。", "情况", "工作"))
    for i, (topic, patterns) in enumerate(topics):
        heading = f"（{NUMERALS[i]}）{topic}{suffix}"
        text = fill.pick(patterns)
        if topic == "依申请公开" and statement:
            text += statement
        if style == "own_line":
            paragraphs += [Paragraph(heading, heading=True), Paragraph(text)]
        else:
            paragraphs.append(Paragraph(heading.rstrip("。") + "。" + text))
    return paragraphs


def _problems(fill: _Filler) -> list:
    from .content import Paragraph

    rng = fill.rng
    problems = rng.sample(PROBLEMS, rng.randint(2, 3))
    measures = rng.sample(MEASURES, rng.randint(2, 4))
    listed = "".join(f"{ENUM[i]}是{p}" for i, p in enumerate(problems))
    if rng.random() < 0.3:        # as seed 003: numbered sub-headings on lines of their own
        return [Paragraph("1、存在问题", heading=True), Paragraph(listed),
                Paragraph("2、改进措施", heading=True),
                Paragraph("".join(f"{ENUM[i]}是{m}" for i, m in enumerate(measures)))]
    out = [Paragraph(fill.pick(PROBLEM_LEADS) + listed), Paragraph(fill.pick(MEASURE_LEADS))]
    out += [Paragraph(f"（{NUMERALS[i]}）{m}") for i, m in enumerate(measures)]
    return out


NUMERALS = "一二三四五六七八九十"
ENUM = "一二三四五六七八九十"

OPENING = (
    "{year}年，{we}坚持以习近平新时代中国特色社会主义思想为指导，深入贯彻落实{party}，认真落实上级关于政务公开"
    "工作的安排部署，坚持“以公开为常态、不公开为例外”，扎实推进政务全过程公开，以公开促落实、促规范、促服务。",
    "{year}年，{we}认真贯彻落实《中华人民共和国政府信息公开条例》，把政府信息公开作为转变政府职能、提高政府"
    "工作透明度、促进依法行政的重要措施，进一步加大政府信息公开力度，信息公开工作取得了新成绩。",
    "{place}始终坚持贯彻落实《中华人民共和国政府信息公开条例》，提高认识，狠抓落实，进一步加强了政府信息"
    "公开工作，较好地保障了人民群众的知情权、参与权、表达权和监督权。",
    "一年来，{we}政务公开工作以习近平新时代中国特色社会主义思想为指导，全面贯彻{party}，准确执行新修订的"
    "《中华人民共和国政府信息公开条例》，紧紧围绕中心工作，持续加大主动公开、政策解读和回应关切力度。",
    "{issuer}负责本机关政务公开工作，并负责指导、监督政府信息公开工作。{year}年以来，{we}认真贯彻落实"
    "《条例》和上级关于政务公开工作的有关文件精神，加大主动公开、政策解读、回应关切等工作力度，"
    "推进政务公开工作取得实效。",
    "{year}年，在上级政务公开主管部门的指导下，{we}紧扣“放管服”改革和优化营商环境要求，健全政务公开"
    "制度机制，规范政府信息公开平台，政务公开工作质量和实效进一步提升。",
    "{year}年，{we}坚持以人民为中心的发展思想，把政务公开作为建设法治政府、服务型政府的重要抓手，"
    "围绕重点工作加强信息发布、解读回应和平台建设，各项工作有序推进。",
)

TOPIC_LEAD = {"主动公开": "扎实推进政府信息主动公开工作", "依申请公开": "做好依申请公开工作",
              "政府信息管理": "提高政府信息管理水平", "平台建设": "抓好平台建设",
              "监督保障": "加强监督保障", "解读回应": "做好政策解读和回应关切"}

OVERVIEW_TOPICS = (
    ("主动公开", (
        "统筹部署全年政务公开工作，紧盯重点领域推进公开。{year}年，通过政府门户网站主动公开政府信息{n1}条，"
        "制发规范性文件{n3}份，报备率、及时率、规范率均为100%。",
        "切实做好主动发布工作，聚焦企业和群众关注的政府信息，围绕“放管服”改革和就业、教育、医疗、养老等重点"
        "民生领域，及时公开涉及群众切身利益的政府信息，全年共发布各类信息{n1}条，其中政务要闻{n4}条。",
        "持续深化细化财政预决算、公共资源交易、重大建设项目批准和实施、公益事业建设等领域信息公开，"
        "全年更新发布政府信息公开目录单位{n2}个，公开各类政府信息{n1}余条。",
        "围绕乡村振兴、安全生产、生态环境保护等群众关注的重点领域，及时发布权威信息，"
        "全年在政府信息公开专栏发布信息{n1}条，发布通知公告{n4}条。",
    )),
    ("依申请公开", (
        "坚持问题导向，以案释法，规范答复文书格式，增强答复针对性，认真做好依申请公开办理工作。",
        "依法依规做好政府信息依申请公开工作，及时修订发布《政府信息公开指南》，完善依申请公开工作流程，"
        "建立登记、审核、办理、答复、归档等一整套工作流程。",
        "严格按照新修订的《条例》有关要求，不断规范依申请公开办理流程，准确把握信息公开申请办理时限。",
        "畅通依申请公开受理渠道，提供网上申请、信函申请和当面申请等方式，规范答复格式和用语，"
        "加强与申请人的沟通，依法保障申请人的合法权益。",
    )),
    ("政府信息管理", (
        "完善政府信息公开管理和信息发布审核制度，强化日常内容维护，严格执行政府信息公开保密审查工作，"
        "全年签订政务信息公开保密审查表{n4}份，形成台账管理。",
        "加强政府信息发布范围、形式和载体的标准化规范化管理，分类细化政务公开事项，优化栏目检索功能，"
        "让群众更加方便、快捷、准确获取所需要的政府信息。",
        "对属于主动公开的政府信息及时予以公开，并严格落实保密审查工作程序，确保涉密政府信息不上网，"
        "全年无一例政府信息公开失密、泄密事件发生。",
        "及时调整主动公开基本目录和政府信息公开指南，开展政策文件清理，全年清理规范性文件{n2}件，"
        "确保公开的信息完整、准确、及时。",
    )),
    ("平台建设", (
        "进一步加强政府信息公开平台规范化、标准化建设，优化政府网站栏目设置及重点领域栏目建设，"
        "下设{n2}个信息公开子频道，持续推进政务新媒体矩阵建设，目前共有政务新媒体账号{n3}个。",
        "结合“数字政府”改革建设工作部署，推进政府网站集约化平台建设，实现统一标准规范、统一技术平台、"
        "统一安全防护、统一运维监管，全年编发政府公报{n3}期。",
        "加强政务新媒体管理，严格落实信息发布审核制度，全年通过政务微信公众号发布信息{n4}条，"
        "政府信息公开平台与门户网站栏目实现同步更新。",
    )),
    ("解读回应", (
        "坚持“谁起草、谁解读”的原则，政策文件与解读材料同步组织、同步审签、同步部署，全年发布政策解读{n2}篇，"
        "办理网民留言{n4}条，处理率达100%。",
        "统筹做好网民留言办理工作，提高留言办理规范化、制度化水平，全年办理留言{n4}条，推动群众合理诉求高效解决。",
        "围绕重要政策文件，采取图文解读、视频解读、新闻发布会等形式开展解读，全年发布图解{n3}期，"
        "回应公众关切的问题{n2}个。",
    )),
    ("监督保障", (
        "将政务公开工作列入年度绩效考核内容，进一步压实各部门工作责任，全年开展政务公开培训{n3}次，"
        "确保政务公开工作按指标落实。",
        "成立以主要领导为组长的政务公开工作领导小组，明确专人负责信息公开工作，对{n2}个单位的政府网站"
        "和政务新媒体开展日常监测和季度检查。",
        "将政府信息公开工作情况纳入机关年度综合考评内容进行考核，同时通过以会代训的形式加强业务培训，"
        "{year}年未发生政府信息公开工作重大责任事件。",
    )),
)

STATEMENT = (
    "{year}年，{we}共收到政府信息公开申请{n}件，均在法定期限内予以答复。",
    "全年收到政府信息依申请公开{n}宗。",
    "{year}年以来，{we}受理依申请公开{n}件，均已按时办结。",
    "{year}年共收到{n}条依申请公开信息，已及时与当事人联系并按规定处理完毕。",
    "全年共接收政府信息公开申请{n}件，按时办结率100%。",
)
STATEMENT_NONE = (
    "{year}年，本机关未收到政府信息公开申请。",
    "全年未受理政府信息公开申请。",
    "{year}年以来，{we}未收到政府信息公开申请，没有因政府信息公开工作引起的行政复议、行政诉讼。",
)

REVIEW_NONE = (
    "{year}年，{we}未发生因政府信息公开工作引起的行政复议、行政诉讼案件。",
    "本年度无政府信息公开行政复议、行政诉讼情况。",
)

PROBLEM_LEADS = (
    "{year}年，{we}政府信息公开工作稳步推进，但与上级部门的要求和公众的需求还存在一定差距，主要表现在：",
    "{year}年，{we}在推动政府信息公开工作中，仍存在以下不足：",
    "存在问题：",
)
PROBLEMS = [
    "政府信息公开的规范性还有待提高，部分栏目更新不够及时；",
    "政府信息公开工作人员业务水平需进一步加强，队伍素质有待提高；",
    "重大政策发布的精准解读仍需提质，政策解读形式较为单一；",
    "政民互动机制有待进一步优化，回应群众关切的时效性不够强；",
    "重点领域政府信息发布频率需进一步提高，公开范围需进一步拓宽；",
    "群众对政务信息关注度不高，在政府网站公开的信息浏览量较低；",
]
MEASURE_LEADS = (
    "下一步，{we}将从以下几方面加以改进：",
    "针对以上问题，着力做好以下几方面工作：",
    "为进一步做好信息公开工作，将采取以下措施：",
)
MEASURES = [
    "进一步加强指导监督。加强政府网站和政务新媒体的日常指导和监督，逐步完善法定主动公开内容，促进政务公开工作落到实处。",
    "进一步深化重点领域信息公开。以群众实际需求为导向，规范各领域政府信息发布，加强跟踪评估工作。",
    "进一步提高工作人员水平。加大政务公开培训力度，切实增强工作人员专业素养，提高政务公开工作的能力和水平。",
    "建立健全监督检查制度。严格按照考核标准，采取不定期抽查和定期检查相结合的方式，对发现的问题及时进行通报。",
    "增强公开内容的针对性。严格按照公开为常态、不公开为例外的总体要求，真正做到应该公开的信息都能及时、主动公开。",
    "拓宽宣传渠道。有效利用广播、电视、政务新媒体等渠道，广泛宣传信息公开工作，营造群众积极关心信息公开的社会氛围。",
]

# Of these, with fee notices counted in the 2021 table (（六）其他处理 2.): the ones that report no
# fee at all warn prose.fees; the one that says no fee notice was sent contradicts the table and
# fails it.
REPORTS_NO_FEE = ("无。", "无")
DENIES_FEE_NOTICE = ("收取政府信息处理费用的情况：本年度无发出收费通知，无收取信息处理费用。",)

OTHER_MATTERS = (
    "无。",
    "无",
    "本年度未收取政府信息公开信息处理费。",
    "收取政府信息处理费用的情况：本年度无发出收费通知，无收取信息处理费用。",
    "根据《政府信息公开信息处理费管理办法》，{year}年{we}未收取信息处理费。本年度无其他需要报告的事项。",
)
