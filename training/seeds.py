"""The five seed reports (``shared/seeds/*.txt``, text of real reports) as ``ReportContent``.

Each keeps its own issuer, year, date, values, labels and prose (abridged, every statement with a
number kept), so that re-typesetting them gives fixtures whose truth is the real report's.
Where the extracted text of a row lists fewer numbers than the table has columns, the layout
chosen is written in the seed's ``truth_notes``.
"""

from __future__ import annotations

import re

from extractor.spec.templates import (
    APPLICATION_COLUMNS,
    REVIEW_CELLS,
    application_column_labels,
    application_labels,
    application_rows,
    disclosure_groups,
    empty_tables,
    set_value,
    unit_key,
)

from .content import Paragraph, ReportContent, SectionContent, check, report_faults

_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def _value(text: str, amount: bool):
    """The value a printed cell states: None for "" and "/", the leading number otherwise."""
    m = _NUMBER.match(text.strip())
    if m is None:
        return None
    return float(m.group()) if amount else int(m.group())


def _build(name: str, *, title: str, issuer: str | None, year: int, date: str | None,
           intro: list[str], sections: list[tuple[str, str, list]], disclosure: dict[str, list[str]],
           applications: dict[str, list[str]], review: list[str], units: dict,
           labels: dict | None = None, columns: dict | None = None, notes: str = "",
           expected_fail: tuple[str, ...] = (), injected: str | None = None,
           traits: tuple[str, ...] = (), table_after: dict | None = None) -> ReportContent:
    fmt = "2019" if year <= 2020 else "2021"
    tables = empty_tables(fmt)
    cell_text, row_labels, column_labels = {}, {}, {}
    official = application_labels()
    for g in disclosure_groups(fmt):
        for row, label in g.rows.items():
            row_labels[("active_disclosure", row)] = (labels or {}).get(row, label)
            for col, text in zip(g.columns, disclosure[row]):
                key = ("active_disclosure", row, col)
                cell_text[key] = text
                set_value(tables, *key, _value(text, unit_key(row, col) in units))
        for col, label in g.columns.items():
            column_labels[("active_disclosure", col)] = (columns or {}).get(col, label)
    for row in application_rows(fmt):
        row_labels[("applications", row)] = (labels or {}).get(row, official[row])
        for col, text in zip(APPLICATION_COLUMNS, applications[row], strict=True):
            cell_text[("applications", row, col)] = text
            set_value(tables, "applications", row, col, _value(text, False))
    for col, label in application_column_labels().items():
        column_labels[("applications", col)] = (columns or {}).get(col, label)
    for key, text in zip(REVIEW_CELLS, review, strict=True):
        cell_text[("review_litigation", key, None)] = text
        tables["review_litigation"][key] = _value(text, False)
    date_text = None
    if date:
        y, m, d = (int(p) for p in date.split("-"))
        date_text = f"{y} 年 {m} 月 {d} 日"
    content = ReportContent(
        seed=-1, name=name, title=title, issuer=issuer, year=year, format=fmt, date=date,
        date_text=date_text, intro=[Paragraph(t) for t in intro],
        sections=[SectionContent(n, t, [Paragraph(p[1:], heading=True) if p.startswith("#") else Paragraph(p)
                                        for p in paras]) for n, t, paras in sections],
        tables=tables, units=units, cell_text=cell_text, row_labels=row_labels,
        column_labels=column_labels, expected_fail=sorted(expected_fail), injected=injected,
        signer=issuer if date else None, traits=list(traits), truth_notes=notes,
        table_after=table_after or {},
    )
    fails, content.expected_warn = report_faults(content)
    content.expected_fail = sorted(set(content.expected_fail) | set(fails))
    check(content)
    return content


def _row(*texts: str) -> list[str]:
    return list(texts)


def _zeros(n: int = 7) -> list[str]:
    return ["0"] * n


def _only_total(text: str) -> list[str]:
    return ["", "", "", "", "", "", text]


def _person_and_total(n: str) -> list[str]:
    return [n, "", "", "", "", "", n]


def _natural(n: int) -> list[str]:
    return [str(n), "0", "0", "0", "0", "0", str(n)]


def _applications(fmt: str, values: dict[str, list[str]], default) -> dict[str, list[str]]:
    return {row: values.get(row, default) for row in application_rows(fmt)}


# --- 000: 连南瑶族自治县人民政府, 2020 -------------------------------------------------------------------

def seed_000() -> ReportContent:
    # The extracted applications table lists one or two numbers per row ("一、本年新收… 1 1", "二、… 0"):
    # the report filled only some cells. Chosen layout: two numbers are 自然人 and 总计, one number is
    # 总计; every other cell is blank. The review table prints only "0 0 0": taken as the three group
    # totals (行政复议 总计, 未经复议直接起诉 总计, 复议后起诉 总计), the other twelve cells blank.
    return _build(
        "seed-000-liannan-2020",
        title="政府信息公开工作年度报告", issuer="连南瑶族自治县人民政府", year=2020, date="2021-01-25",
        intro=["根据《中华人民共和国政府信息公开条例》（以下简称《条例》）及上级有关文件要求，现公布连南瑶族"
               "自治县人民政府（以下简称县政府）2020年政府信息公开工作年度报告。本报告由总体情况、主动公开政府"
               "信息情况、依申请公开政府信息、申请行政复议和提起行政诉讼情况、存在问题及改进情况和其他需要报告的"
               "事项等六部分组成，涵盖连南县政府2020年1月1日至12月31日期间的政府信息公开工作情况。本报告的"
               "电子版可在连南瑶族自治县政府门户网（http://www.liannan.gov.cn/）下载。如对本报告有任何疑问，请与"
               "县政府办公室信访与信息事务中心联系（地址：连南瑶族自治县行政综合大楼814室，邮编：513300，"
               "电话：0763—8661100）。"],
        sections=[
            ("一", "总体情况", [
                "连南县政府办公室负责全县政务公开工作，并负责指导、监督全县政府信息公开工作。2020年以来，县政府"
                "办公室认真贯彻落实新修订的《条例》和上级关于政务公开工作的有关文件精神，紧紧围绕“六稳”“六保”，"
                "加大主动公开、政策解读、加强公共卫生信息公开、回应关切等工作力度，较好地保障了人民群众的知情权、"
                "参与权、表达权和监督权，大力推进政务公开工作取得实效。",
                "#（一）主动公开方面。",
                "切实做好主动发布工作，聚焦企业和群众关注的政府信息，实现“应公开尽公开”。连南县政府门户网站共发布"
                "各类信息4448条，其中政务要闻157条、部门动态575条、乡镇动态182条、气象信息846条、视频新闻164条、"
                "疫情防控信息345条、征集调查104条、通知公告270条、财政信息135条、网上咨询82条、规范性文件11条、"
                "人事任免13条、重点领域341条、专栏信息116条、其他各类信息1107条，处理网上留言71条。",
                "#（二）依申请公开方面。",
                "依法依规做好政府信息依申请公开工作，根据新修订的《条例》，及时修订发布《政府信息公开指南》，完善"
                "依申请公开工作流程。2020年共收到2条依申请公开信息，已及时与当事人联系并按规定处理完毕。",
                "#（三）政府信息管理方面。",
                "根据上级要求，加强政府信息发布范围、形式和载体的标准化规范化管理，分类细化政务公开事项，优化栏目"
                "检索功能，让群众更加方便、快捷、准确获取所需要的政府信息。",
                "#（四）加强用权公开方面。",
                "根据上级有关要求，对照权责清单，结合政务服务事项，对各领域基层政务公开标准目录进行梳理，12月份"
                "编制完成全县26个领域基层政务公开标准目录和7个乡镇的基层政务公开标准目录汇编，并已全部在政府网站公示。",
                "#（五）解读回应方面。",
                "2020年县政府门户网站“政策解读”栏目共采集发布相关信息文件11份，发布政策解读16条，其他各部门发布的"
                "政策解读16份。网上收到信访件共计71件，回复71件。",
            ]),
            ("二", "主动公开政府信息情况", []),
            ("三", "收到和处理政府信息公开申请情况", []),
            ("四", "政府信息公开行政复议、行政诉讼情况", []),
            ("五", "存在的主要问题及改进情况", [
                "2020年，县政府办公室政府信息公开工作稳步推进，取得了一定的成绩，但与上级部门的要求和公众的需求"
                "还存在一定的差距，主要表现在：一是政府信息公开的规范性还有待提高，对公众需求的政务公开还不能满足。"
                "二是政府信息公开工作的业务水平需进一步加强。三是县政府门户网站栏目设置还有待优化。",
                "（一）建立政务信息公开长效机制。落实网络意识形态工作责任制，持续提升政府网上履职能力，促进信息"
                "公开工作制度化、规范化。",
                "（二）增强公开内容的针对性。严格按照公开为常态、不公开为例外的总体要求，扎实做好主动公开、依申请"
                "公开和不公开三类政府信息的界定。",
            ]),
            ("六", "其他需要报告的事项", [
                "根据上级政府的统一部署，政府部门机构改革和全省政府网站集约化后，由于人员的工作交接和新旧网站的功能"
                "交接磨合，可能会存在信息公开不全面或更新不及时的情况。",
            ]),
        ],
        disclosure={"rules": _row("0", "0", "0"), "normative_documents": _row("27", "27", "82"),
                    "licensing": _row("2739", "-207", "2361"),
                    "other_management_services": _row("184", "49", "443"),
                    "penalty": _row("359", "33", "53"), "enforcement": _row("4", "4", "29"),
                    "fees": _row("81", "20"), "procurement": _row("1835", "73674121.03")},
        units={"active_disclosure.procurement.procurement_amount": None},
        applications=_applications("2019", {"new_received": _person_and_total("1"),
                                            "granted": _person_and_total("1"),
                                            "total": _person_and_total("1")}, _only_total("0")),
        review=["", "", "", "", "0"] * 3,
        notes="Applications: rows printing two numbers are read as 自然人 and 总计, rows printing one number "
              "as 总计; all other cells blank (null). Review table: only \"0 0 0\" printed, read as the three "
              "group totals, the other twelve cells blank (null). The prose states 2 applications received, "
              "the table 1: a real inconsistency of the report.",
        expected_fail=("prose.matches_tables",),
        injected="none: the real report's prose states 2 applications received, its table 1",
        traits=("blank_cells_partial_rows", "title_without_issuer", "amount_unit_none", "signed_change_minus"),
    )


# --- 001: 五华县人民政府, 2020 ----------------------------------------------------------------------------

def seed_001() -> ReportContent:
    # Rows such as "(三)不予公开 1.属于国家秘密 1 0 0 0 0 0 0 1" list eight numbers for seven columns: an
    # artefact of the extraction (an empty merged cell read as a column). Chosen: 自然人 = the first
    # number, 总计 = the last, the five legal-person columns 0.
    official = application_labels()
    half = {row: official[row].replace("（", "(").replace("）", ")") for row in application_rows("2019")}
    half["fees"] = "行政事业性费"
    return _build(
        "seed-001-wuhua-2020",
        title="五华县人民政府2020年政府信息公开工作年度报告", issuer="五华县人民政府", year=2020, date=None,
        intro=[],
        sections=[
            ("一", "总体情况", [
                "一年来，我县政务公开工作以习近平新时代中国特色社会主义思想为指导，全面贯彻党的十九大和十九届二中、"
                "三中、四中、五中全会精神，认真落实党中央、国务院关于政府信息公开工作的决策部署，准确执行新修订的"
                "《中华人民共和国政府信息公开条例》，以公开促落实、促规范、促服务。",
                "#（一）进一步健全政务公开制度机制。",
                "1.实现政府信息主动公开事项清单化管理。2020年，更新发布政府信息公开目录单位42个，通过政府门户网站"
                "主动公开政府信息5755条。",
                "2.健全完善政策解读机制。坚持“谁起草、谁解读”的原则，按照政策文件与解读材料、解读方案同步组织、"
                "同步审签、同步部署的“三同步”要求实施，2020年共解读文件42份。",
                "3.加强政府信息公开申请办理工作。严格按照新修订的《中华人民共和国政府信息公开条例》有关要求，不断"
                "规范依申请公开办理流程。2020年以来，五华县受理依申请公开36件，全部为自然人提出申请，没有收到法人"
                "或其他组织提出的信息公开申请，均在法定期限内予以答复。",
                "#（二）进一步加强信息公开平台建设管理。",
                "目前，我县政府系统有各类政务新媒体账号27个。在县人民政府门户网站下设42个信息公开子频道，分别由"
                "16个乡镇、26个县直有关单位进行管理。",
                "#（三）进一步夯实信息公开监督保障基础。",
                "各有关单位也相应成立政务公开工作领导机构，明确1名分管领导，至少配备2名工作人员具体负责本单位信息"
                "公开工作。今年开展政务公开培训1次。",
            ]),
            ("二", "主动公开政府信息情况", []),
            ("三", "收到和处理政府信息公开申请情况", []),
            ("四", "政府信息公开行政复议、行政诉讼情况", []),
            ("五", "存在的主要问题及改进情况", [
                "目前，我县在信息公开工作中存在一些突出问题。一是部分领导干部对信息公开工作不重视。二是从事政府信息"
                "公开工作的人员少、力量相对薄弱。三是群众对政务信息关注度不高，参与意识淡薄。",
                "下一步，我县将从以下几方面对信息公开工作加以改进：",
                "（一）建立健全监督检查制度，严格按照考核标准，委托第三方每月采取不定期抽查和定期检查相结合的方式，"
                "加强对各镇各部门信息公开工作的督促检查。",
                "（二）加强信息公开组织领导，按照新《条例》要求，规范信息公开流程。",
            ]),
            ("六", "其他需要报告的事项", ["无。"]),
        ],
        disclosure={"rules": _row("0", "0", "0"), "normative_documents": _row("9", "9", "9"),
                    "licensing": _row("1094", "-475", "20916"),
                    "other_management_services": _row("470", "+453", "31187"),
                    "penalty": _row("4905", "+59", "11492"), "enforcement": _row("255", "+10", "5610"),
                    "fees": _row("37", "+1"), "procurement": _row("2974", "51447.2 万元")},
        units={"active_disclosure.procurement.procurement_amount": "万元"},
        labels=half, columns={"total_published": "对外公开总数", "social_welfare_org": "社会组织"},
        applications=_applications("2019", {"new_received": _natural(36), "granted": _natural(27),
                                            "denied.state_secret": _natural(1),
                                            "denied.security_stability": _natural(1),
                                            "unable.not_held": _natural(4), "unable.still_unclear": _natural(1),
                                            "other_handling": _natural(2), "total": _natural(36)}, _zeros()),
        review=["5", "0", "1", "0", "6", "9", "1", "0", "1", "11", "4", "0", "0", "0", "4"],
        notes="Rows extracted with eight numbers for seven columns (an empty merged cell read as a column) "
              "are read as 自然人 = first number, 总计 = last, legal-person columns 0.",
        traits=("label_halfwidth_brackets", "label_shiyexing_fei", "label_shehui_zuzhi", "amount_unit_cell",
                "signed_change_plus", "signed_change_minus", "large_numbers", "unsigned"),
    )


# --- 002: 连州市人民政府办公室, 2023 ------------------------------------------------------------------------

def seed_002() -> ReportContent:
    return _build(
        "seed-002-lianzhou-2023",
        title="连州市人民政府办公室2023年政府信息公开工作年度报告", issuer="连州市人民政府办公室", year=2023,
        date="2024-01-12",
        intro=["根据《中华人民共和国政府信息公开条例》（以下简称《条例》）及《国务院办公厅政府信息与政务公开办公室"
               "关于印发〈中华人民共和国政府信息公开工作年度报告格式〉的通知》（国办公开办函〔2021〕30号）等规定，"
               "现公布连州市人民政府办公室2023年政府信息公开工作年度报告。",
               "本报告由总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议、行政"
               "诉讼情况、存在问题及改进情况、其他需要报告的事项等六部分组成，内容涵盖2023年1月1日至12月31日期间"
               "的政府信息公开工作情况。本报告的电子版可在连州市政府门户网站（www.lianzhou.gov.cn）查阅和下载。"
               "如有疑问，请与连州市政府办公室综合信息组联系（地址：连州市爱民路51号市政府大楼前栋二楼综合信息组"
               "办公室，邮编：513400，电话：0763—6639202）。"],
        sections=[
            ("一", "总体情况", [
                "2023年，连州市坚持以习近平新时代中国特色社会主义思想为指导，深入贯彻落实党的二十大精神，认真落实"
                "省委省政府、清远市委市政府和连州市委市政府关于政务公开安排部署，坚持“以公开为常态、不公开为例外”，"
                "扎实推进政务全过程公开，提高政务公开质量，以公开促落实、促规范、促服务。",
                "（一）主动公开方面。统筹部署全年政务公开工作，细化分解第三方评估方案，紧盯重点领域推进公开。2023年，"
                "政府信息公开8145条，主动公开市政府信息文件50份，制发市政府规范性文件8份，报备率、及时率、规范率"
                "均为100%。",
                "（二）依申请公开方面。坚持问题导向，以案释法，规范答复文书格式，增强答复针对性，认真做好依申请公开"
                "办理工作，全年收到政府信息依申请公开11宗。",
                "（三）政府信息管理方面。完善政府信息公开管理和信息发布审核制度，严格执行政府信息公开保密审查工作，"
                "全年签订政务信息公开保密审查表113份，形成台账管理。",
                "（四）平台建设方面。全年编发《连州市人民政府公报》4期，刊发市政府及部门文件50份。已实现2019年至"
                "2023年的政府公报数字化工作，并持续编发和集中公开。",
                "（五）回应关切方面。2023年，办理省长信箱留言11条，处理率达100%。",
                "（六）监督保障方面。市政府办公室对1个在线运行的政府网站（39个市政府门户网站频道栏目、21个机关事业"
                "单位）和6个政务新媒体账号开展日常监测和季度检查，确保安全运行。",
            ]),
            ("二", "主动公开政府信息情况", []),
            ("三", "收到和处理政府信息公开申请情况", []),
            ("四", "政府信息公开行政复议、行政诉讼情况", []),
            ("五", "存在问题及下一步工作", [
                "2023年，市政府办公室在推动政府信息公开工作中，仍存在以下不足：一是日常指导监督力度不够，部分部门"
                "工作落实与预期效果有一定差距，二是重大政策发布的精准解读仍需提质、政务公开平台建设仍需优化，三是"
                "政民互动机制有待进一步优化。",
                "下一步，建立健全政务公开工作长效机制，加强部门统筹联动，完善业务工作规程指导和常态化监管机制。",
                "（一）进一步加强指导监督。加强政府网站和政务新媒体的日常指导和监督，强化信息共享协调机制。",
                "（二）进一步深化重点领域信息公开。以群众实际需求为导向，完善平台建设，规范各领域政府信息发布。",
                "（三）进一步提升监督考核结果运用力度。压实各部门主体责任，以整改提质效，以监督促公开。",
            ]),
            ("六", "其他需要报告的事项", ["收取政府信息处理费用的情况：本年度无发出收费通知，无收取信息处理费用。"]),
        ],
        disclosure={"rules": _row("0", "0", "0"), "normative_documents": _row("8", "3", "8"),
                    "licensing": _row("0"), "penalty": _row("0"), "enforcement": _row("0"),
                    "fees": _row("0")},
        units={"active_disclosure.fees.amount_wan": "万元"},
        applications=_applications("2021", {"new_received": _natural(11), "unable.not_held": _natural(4),
                                            "not_processed.duplicate": _natural(5),
                                            "not_processed.confirmation": _natural(2),
                                            "total": _natural(11)}, _zeros()),
        review=["0"] * 15,
        traits=("amount_zero",),
    )


# --- 003: 连生乡, 2020 ------------------------------------------------------------------------------------

def seed_003() -> ReportContent:
    return _build(
        "seed-003-liansheng-2020",
        title="连生乡2020年政府信息公开工作年度报告", issuer="连生乡", year=2020, date=None, intro=[],
        sections=[
            ("一", "总体情况", [
                "连生乡始终坚持贯彻落实《中华人民共和国政府信息公开条例》,提高认识，狠抓落实，进一步加强了政府信息"
                "公开工作。",
                "1、加强领导，健全机制。结合我乡工作实际，把政府信息公开工作列入重要议事日程，成立了以书记为组长,"
                "分管副乡长为副组长的政务公开领导小组,并下设办公室,负责指导、协调、推进政府信息公开工作。",
                "2、加大力度，拓宽渠道。利用县政府门户网站、政务微博、微信、手机版网站、信息公开栏、广播、电视、"
                "电子屏、图书馆等多种方式和途径，广泛开展政府信息公开工作。",
                "3、加强培训，提高认识。乡党委、政府组织相关部门、村屯认真学习《中华人民共和国政府信息公开条例》"
                "等相关法律法规，增强了党员干部对信息公开工作重要性的认识。",
                "4、认真梳理，做好公开。坚持政务信息公开化原则，组织各科室依据有关法律法规，对行政执法事项进行全面"
                "梳理，确保内容数据准确。",
            ]),
            ("二", "主动公开政府信息情况", []),
            ("三", "收到和处理政府信息公开申请情况", []),
            ("四", "政府信息公开行政复议、行政诉讼情况", []),
            ("五", "存在的主要问题及改进情况", [
                "#1、存在问题",
                "一是公开内容不全面。在实际工作中，少数村丶信息公开内容不全面，随意性较大。二是公开信息内容的理解"
                "还存在偏差。信息公开的内容与公众信息获取需求之间仍然存在着差距。",
                "#2、改进措施",
                "一是加大宣传力度。二是加强学习培训。三是改进工作作风。四是建立长效机制。深化落实各项工作制度、"
                "工作责任制及措施，切实提高政府信息公开的及时性、准确性、时效性。",
            ]),
            ("六", "其他需要报告的事项", ["无"]),
        ],
        disclosure={"rules": _row("0", "0", "0"), "normative_documents": _row("0", "0", "0"),
                    "licensing": _row("0", "0", "0"), "other_management_services": _row("0", "0", "0"),
                    "penalty": _row("0", "0", "0"), "enforcement": _row("0", "0", "0"),
                    "fees": _row("0", "0"), "procurement": _row("0", "0")},
        units={"active_disclosure.procurement.procurement_amount": None},
        applications=_applications("2019", {}, _zeros()),
        review=["0"] * 15,
        traits=("profile_zero", "prose_states_nothing", "unsigned"),
    )


# --- 004: a bureau (我局), 2020 ------------------------------------------------------------------------

def seed_004() -> ReportContent:
    # The report never names its issuer (title "2020 年政府信息公开工作年度报告", the prose says 我局)
    # and is unsigned. In the real PDF the review table is drawn after section 六.
    return _build(
        "seed-004-bureau-2020",
        title="2020年政府信息公开工作年度报告", issuer=None, year=2020, date=None, intro=[],
        sections=[
            ("一", "总体情况", [
                "2020年，我局认真贯彻落实《中华人民共和国政府信息公开条例》，把政府信息公开作为转变政府职能、提高"
                "政府工作透明度、促进依法行政的重要措施，进一步加大政府信息公开力度，加强政府信息公开的相关制度"
                "建设，丰富政府信息公开的内容和形式，信息公开工作取得了新成绩。",
                "一是扎实推进政府信息主动公开工作。一年来，我局通过政府网站、政务公开栏、行政服务窗口以及广播、"
                "电视、报纸等新闻媒体主动公开各类政府信息，共公开各类政府信息310余条，其中通过县政府门户网站公开"
                "政府信息130余条，通过政务公开栏、新媒体公开政府信息180余条。二是做好依申请公开工作。2020年以来，"
                "今年以来，本机关未收到政府信息公开申请，没有因政府信息公开工作引起的行政复议、行政诉讼、举报投诉等"
                "情况。三是提高政府信息管理水平。2020年，我局无一例政府信息公开失密、泄密事件发生。四是抓好平台"
                "建设。五是加强监督保障。2020年，本机关未发生政府信息公开工作重大责任事件。",
            ]),
            ("二", "主动公开政府信息情况", []),
            ("三", "收到和处理政府信息公开申请情况", []),
            ("四", "政府信息公开行政复议、行政诉讼情况", []),
            ("五", "存在的主要问题及改进情况", [
                "存在问题：一是重点领域政府信息发布频率需进一步提高；二是政府信息公开范围需进一步拓宽；三是政府信息"
                "公开队伍素质有待提高，业务培训亟需加强。",
                "针对以上问题，着力做好以下几方面工作：一是进一步加强信息公开工作的组织领导。二是着力做好重点领域"
                "信息公开工作。三是建立有效的监督机制。四是进一步提高工作人员对信息公开及保密工作的认识水平。",
            ]),
            ("六", "其他需要报告的事项", ["无。"]),
        ],
        disclosure={"rules": _row("0", "0", "0"), "normative_documents": _row("0", "0", "0"),
                    "licensing": _row("22", "+3", "2"), "other_management_services": _row("25", "+19", "62"),
                    "penalty": _row("14", "+1", "0"), "enforcement": _row("0", "0", "0"),
                    "fees": _row("0", "0"), "procurement": _row("3", "25.6835")},
        units={"active_disclosure.procurement.procurement_amount": "万元"},
        columns={"procurement_amount": "采购总金额（单位：万元，保留4位小数）"},
        applications=_applications("2019", {}, _zeros()),
        review=["0"] * 15,
        notes="The report names no issuer (issuer null) and is unsigned; in the real PDF its review table "
              "is drawn after section 六.",
        traits=("title_without_issuer", "amount_unit_header", "signed_change_plus", "unsigned"),
        table_after={"review_litigation": "六"},
    )


SEEDS = (seed_000, seed_001, seed_002, seed_003, seed_004)


def seed_contents() -> list[ReportContent]:
    return [make() for make in SEEDS]
