"""The language a deck is written in, and the few words the site itself says in it.

The lecturer's decks are Chinese with English terms; a presenter reading the
verification panel mid-lecture should read it in the deck's language. The
front matter may say `lang: zh-CN` (or `en`); otherwise the share of CJK
characters in the slides' text decides. Every phrase the built pages show
(the appendix label, the panel's sentences, the index's headings) lives in
PHRASES, so a new language is one new column.
"""
from __future__ import annotations

import re

from .model import Deck

CHINESE, ENGLISH = "zh-CN", "en"
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LETTER = re.compile(r"[A-Za-z\u3400-\u9fff\uf900-\ufaff]")
CJK_SHARE = 0.15  # of the letters: a Chinese deck quotes English terms, an English one rarely the reverse

PHRASES: dict[str, dict[str, str]] = {
    "appendix": {CHINESE: "附录 ", ENGLISH: "A"},
    # the verification panel (present.js fills {n}, {m}, … from the data)
    "panel.title": {CHINESE: "本页验证", ENGLISH: "Checks on this slide"},
    "panel.close": {CHINESE: "按 V 或 Esc 关闭", ENGLISH: "V or Esc to close"},
    "panel.empty": {CHINESE: "这一页没有要检查的推导或公式。", ENGLISH: "No derivation or formula on this slide to check."},
    "panel.formulas": {CHINESE: "本页公式", ENGLISH: "Formulas on this slide"},
    "panel.row": {CHINESE: "第 {n} 行", ENGLISH: "Row {n}"},
    "panel.rows": {CHINESE: "{ok}/{n} 行已验证", ENGLISH: "{ok} of {n} rows verified"},
    "panel.no-results": {CHINESE: "没有这个推导的检查结果。", ENGLISH: "No check results recorded for this derivation."},
    "status.verified": {CHINESE: "✓ 已验证", ENGLISH: "✓ verified"},
    "status.failing": {CHINESE: "✗ 不成立", ENGLISH: "✗ failing"},
    "status.stale": {CHINESE: "? 已过期", ENGLISH: "? stale"},
    "status.unverified": {CHINESE: "未验证", ENGLISH: "unverified"},
    # the badges on the slides (theme.css shows them; the rows' own are the status.* above)
    "badge.derivation-unverified": {CHINESE: "推导未验证", ENGLISH: "derivation unverified"},
    "badge.derivation-failing": {CHINESE: "✗ 推导不成立", ENGLISH: "✗ derivation failing"},
    "badge.derivation-stale": {CHINESE: "? 推导已过期", ENGLISH: "? derivation stale"},
    "strength.proved": {CHINESE: "已证明", ENGLISH: "proved"},
    "strength.evaluated": {CHINESE: "数值验证", ENGLISH: "evaluated"},
    "strength.definition": {CHINESE: "定义", ENGLISH: "definition"},
    "strength.assumed": {CHINESE: "假设", ENGLISH: "assumed"},
    "strength.not checked": {CHINESE: "未检查", ENGLISH: "not checked"},
    "strength.failing": {CHINESE: "不成立", ENGLISH: "failing"},
    # a formula's mark, its tooltip: what its strength means, or (before the reason) the strength in a word
    "mark.proved": {CHINESE: "已证明", ENGLISH: "proved"},
    "mark.evaluated": {CHINESE: "在本讲的模型或公式给出的取值上数值验证",
                       ENGLISH: "evaluated on the deck's models or the values it states"},
    "mark.failing": {CHINESE: "在本讲的模型或公式给出的取值上不成立",
                     ENGLISH: "does not hold on the deck's models or the values it states"},
    "mark.not checked": {CHINESE: "未检查: 无法读懂这个公式", ENGLISH: "not checked: the evaluator cannot read it"},
    "mark.definition": {CHINESE: "定义: 不是需要检查的结论", ENGLISH: "a definition: not a claim"},
    "mark.assumed": {CHINESE: "本页假设的条件: 不是结论, 不检查",
                     ENGLISH: "a hypothesis the slide assumes: not a claim, not checked"},
    "because.no-notation": {CHINESE: "本讲没有指定 notation, 公式里的字母没有含义, 公式也没有说明它们的取值范围",
                            ENGLISH: "a letter the deck gives no meaning (it names no notation, and the formula "
                                     "states no domain for it)"},
    "because.evaluated": {CHINESE: "数值验证", ENGLISH: "evaluated"},
    "because.failing": {CHINESE: "不成立", ENGLISH: "does not hold"},
    "because.not checked": {CHINESE: "未检查", ENGLISH: "not checked"},
    # what the relation of a row claims
    "claim.=": {CHINESE: "两边相等", ENGLISH: "both sides are equal"},
    "claim.<=>": {CHINESE: "两边只差一个与 {wrt} 无关的常数, 最优解相同",
                  ENGLISH: "the sides differ by a term constant in {wrt}: same maximiser"},
    "claim.holds": {CHINESE: "{rel} 成立", ENGLISH: "{rel} holds"},
    "claim.in": {CHINESE: "左边属于右边的集合", ENGLISH: "the left side lies in the set on the right"},
    "claim.<": {CHINESE: "左边处处小于右边", ENGLISH: "the left side is everywhere smaller than the right"},
    "claim.>": {CHINESE: "左边处处大于右边", ENGLISH: "the left side is everywhere larger than the right"},
    "claim.<=": {CHINESE: "左边处处不大于右边", ENGLISH: "the left side is nowhere larger than the right"},
    "claim.>=": {CHINESE: "左边处处不小于右边", ENGLISH: "the left side is nowhere smaller than the right"},
    # how it was checked: one line each
    "how.symbolic": {CHINESE: "SymPy 化简差为 0", ENGLISH: "SymPy simplifies the difference to 0"},
    "how.symbolic-constant": {CHINESE: "SymPy 化简: 两边之差与 {wrt} 无关",
                              ENGLISH: "SymPy simplifies the difference to a term free of {wrt}"},
    "how.symbolic-bound": {CHINESE: "SymPy 给出符号证明, 并搜索反例未找到",
                           ENGLISH: "a symbolic argument in SymPy, and a search found no counterexample"},
    "how.tied": {CHINESE: "检查的两边与本行两边在同一组随机参数上逐值相等",
                 ENGLISH: "the check's two sides equal the row's at the same draws"},
    "how.numeric": {CHINESE: "在 {points} 个随机点上数值计算", ENGLISH: "computed numerically at {points} random points"},
    "how.slide": {CHINESE: "对 {models} 个模型的 {draws} 组随机参数逐一计算本页公式, {claim}",
                  ENGLISH: "the slide's own formula computed on {models} models at {draws} random draws: {claim}"},
    "how.formula": {CHINESE: "对 {models} 个模型 ({names}) 的 {draws} 组随机参数{values}逐一计算本页公式: {claim}",
                    ENGLISH: "the slide's own formula computed on {models} model(s) ({names}) at {draws} random "
                             "draws{values}: {claim}"},
    "how.formula-values": {CHINESE: "和自由变量的 {n} 组取值", ENGLISH: " and {n} values of the free variables"},
    "how.formula-free": {CHINESE: "对 {names} 在本页所写范围内的 {n} 组取值逐一计算本页公式 (无需模型): {claim}",
                         ENGLISH: "the slide's own formula computed at {n} values of {names} in the range it states "
                                  "(no model needed): {claim}"},
    "how.formula-numbers": {CHINESE: "直接计算本页公式 (只含数字): {claim}",
                            ENGLISH: "the slide's own formula computed (numbers only): {claim}"},
    "how.formula-random": {CHINESE: "对随机变量 {names} 的 {draws} 个随机分布{values}逐一计算本页公式 (无需模型): {claim}",
                           ENGLISH: "the slide's own formula computed for {draws} random distributions of {names}{values} "
                                    "(no model needed): {claim}"},
    "how.formula-instances": {CHINESE: "对 {draws} 组随机实例逐一计算本页公式 ({how}): {claim}",
                              ENGLISH: "the slide's own formula computed on {draws} random instances ({how}): {claim}"},
    "how.formula-limit": {CHINESE: "{large} 增大时左边趋于 0, 所以 {large} 足够大时左边 ≤ 任意 {small}: 在 {large} = {sizes} 时, "
                                   "{draws} 组随机实例上左边的平均为 {measured}{rate}",
                          ENGLISH: "→ 0 as {large} grows, so ≤ any {small} for large enough {large}: at {large} = {sizes} "
                                   "the left side is {measured} (mean of {draws} random instances){rate}"},
    "how.formula-limit-rate": {CHINESE: " (最慢的一步约按 {large}^-{rate} 下降)",
                               ENGLISH: ", at its slowest step falling like {large}^-{rate}"},
    "by.exact moments": {CHINESE: "精确矩", ENGLISH: "exact moments"},
    "by.Monte Carlo": {CHINESE: "蒙特卡洛", ENGLISH: "Monte Carlo"},
    "said.defines": {CHINESE: "定义 {names} (取自本页)", ENGLISH: "defines {names} (taken from the slide)"},
    "said.range": {CHINESE: "给出 {names} 的取值范围", ENGLISH: "states the range of {names}"},
    "said.range-notation": {CHINESE: "给出 {names} 的取值范围 (即 notation 的下标)",
                            ENGLISH: "states the range of {names} (the notation's indices)"},
    "how.formula-failed": {CHINESE: "在模型 {instance} 的第 {draw} 组随机参数上: 左边 = {lhs}, 右边 = {rhs}, {relation} 不成立",
                           ENGLISH: "on {instance} at draw {draw}: lhs = {lhs}, rhs = {rhs}, so {relation} does not hold"},
    "how.formula-failed-at": {CHINESE: "在 {at} 处: 左边 = {lhs}, 右边 = {rhs}, {relation} 不成立",
                              ENGLISH: "at {at}: lhs = {lhs}, rhs = {rhs}, so {relation} does not hold"},
    "how.formula-failed-instance": {CHINESE: "在一组随机实例 ({sizes}){where}: 左边 = {lhs}, 右边 = {rhs}, {relation} 不成立",
                                    ENGLISH: "on a random instance ({sizes}){where}: lhs = {lhs}, rhs = {rhs}, so "
                                             "{relation} does not hold"},
    "how.failed-where": {CHINESE: " 中 {at} 处", ENGLISH: " at {at}"},
    "how.the-relation": {CHINESE: "{relation}", ENGLISH: "the relation {relation}"},
    "how.nth-relation": {CHINESE: "第 {n} 个关系 {relation}", ENGLISH: "relation {n} ({relation})"},
    "how.slide-failed": {CHINESE: "本页公式在模型上不成立: {detail}",
                         ENGLISH: "the slide's formula does not hold on the models: {detail}"},
    "how.not-evaluable": {CHINESE: "本页公式无法计算: {detail}", ENGLISH: "the slide's formula could not be evaluated: {detail}"},
    "how.stale": {CHINESE: "本行在检查写好之后被改过, 需要重新推导",
                  ENGLISH: "the row changed after its check was written: re-derive it"},
    "how.failing": {CHINESE: "检查不通过", ENGLISH: "the check does not pass"},
    "label.check": {CHINESE: "检查", ENGLISH: "check"},
    "label.details": {CHINESE: "细节", ENGLISH: "details"},
    # the course index
    "index.title": {CHINESE: "课程讲义", ENGLISH: "Lectures"},
    "index.slides": {CHINESE: "页", ENGLISH: "slides"},
    "index.appendix": {CHINESE: "附录", ENGLISH: "appendix"},
    "index.steps": {CHINESE: "推导步骤", ENGLISH: "derivation steps"},
    "index.verified": {CHINESE: "已验证", ENGLISH: "verified"},
    "index.proved": {CHINESE: "已证明", ENGLISH: "proved"},
    "index.evaluated": {CHINESE: "数值验证", ENGLISH: "evaluated"},
    "index.stale": {CHINESE: "已过期", ENGLISH: "stale"},
    "index.failing": {CHINESE: "不成立", ENGLISH: "failing"},
    "index.unverified": {CHINESE: "未验证", ENGLISH: "unverified"},
    "index.mutants": {CHINESE: "变异检出", ENGLISH: "mutants caught"},
    "index.open": {CHINESE: "打开", ENGLISH: "open"},
    "index.pdf": {CHINESE: "PDF", ENGLISH: "PDF"},
    "index.pdf-steps": {CHINESE: "逐步 PDF", ENGLISH: "step-by-step PDF"},
    "index.single": {CHINESE: "单文件", ENGLISH: "single file"},
    "index.draft": {CHINESE: "草稿", ENGLISH: "draft"},
    "index.none": {CHINESE: "没有讲义。", ENGLISH: "No decks."},
}


def deck_language(deck: Deck) -> str:
    """`lang` from the front matter, else Chinese when enough of the slides' letters are CJK."""
    declared = str(deck.meta.get("lang") or "").strip()
    if declared:
        return CHINESE if declared.lower().startswith("zh") else declared
    text = "".join(p for s in deck.slides for p in s.body.pieces if isinstance(p, str))
    return text_language(text + " " + str(deck.meta.get("title", "")))


def text_language(text: str) -> str:
    letters = len(_LETTER.findall(text))
    return CHINESE if letters and len(_CJK.findall(text)) / letters >= CJK_SHARE else ENGLISH


def phrase(lang: str, key: str, **values) -> str:
    """The phrase `key` in `lang` (English when the language has no column), with `values` filled in."""
    words = PHRASES[key]
    text = words.get(lang) or words.get(CHINESE if lang.startswith("zh") else ENGLISH) or words[ENGLISH]
    return text.format(**values) if values else text
