"""Syndicated re-posts: the same story on other sites, inside their own chrome; recall and precision.

The issue asks for recall ≥ 0.95 at precision ≥ 0.99 on "the same story re-posted by other
sites inside their own site chrome (navigation, related links, footers, promos), truncated
with 'Read more', retitling, width and wrap noise, with hard negatives". No public corpus
of that shape with ground truth exists, so this script makes one, deterministically (fixed
seed), from real text:

- **stories**: the 169 ``-article`` records of ``tests/data/real_pages/pages.jsonl.gz``
  (real news articles, mostly English, MIT; ``real``), new English stories of sentences of
  those articles drawn at random (``en-mix``), and Japanese stories of sentences of the real
  articles in ``samples/`` drawn at random (``ja-mix``);
- **sites**: 30 made-up sites, 20 western and 10 Japanese, each with its own chrome: the
  western ones take the lines that the two pages of one real two-page site share (its
  navigation, footers, cookie notices, teasers), in the order the page has them, plus that
  site's other non-article lines as promos; the Japanese ones are made of Japanese
  navigation, footer, cookie and promo lines written for this benchmark. Every page also
  gets a byline, share buttons and a "related stories" list: headlines of *other* stories,
  the same list on consecutive pages of a site (text shared between unrelated pages);
- **publication**: each story is published in full by one site (``original``) and
  re-posted by 0-5 other sites of its language, each re-post with one variant: ``full``,
  ``truncated`` (30-70 % of the body, then "Read more" / "続きを読む"), ``retitled``,
  ``rewrapped`` (hard-wrapped at another width, paragraphs joined or split), ``typographic``
  (quotes, dashes, ellipses; full-/half-width letters and digits for Japanese),
  ``dropped`` (one paragraph left out) or ``note`` (an editor's note added), one in four
  with a second of the light variants as well; a re-post credits its source in six of ten;
- **hard negatives**: different stories of one site (same chrome, same related list), and
  ``topic`` pairs: one story in eight shares a quoted paragraph, or its lead sentence,
  with another story of its language (each copy of the follower carries it).

Ground truth: the ``story`` field; two documents are the same story iff they have the same
``story``. Scores (:func:`scores`): a predicted pair is two documents in one cluster of
``report.json`` (``duplicate_of`` followed to its canonical document), true when they are
the same story. *Re-post recall* (the headline): the share of re-posts in the same cluster
as their story's original, so each re-post counts once, by its variant. *Pair recall*:
true predicted pairs over all pairs of documents of the same story (a story split into
halves loses more). Precision: true predicted pairs over predicted pairs; wrong pairs by
kind: ``topic`` (stories that share a paragraph or lead), else ``same site``, else ``other``.

Run from the repository root (well under two minutes):

    .venv/bin/python benchmarks/syndicated.py write corpus.jsonl         # write the corpus only
    .venv/bin/python benchmarks/syndicated.py measure                    # defaults, --lsh-threshold 0.5
    .venv/bin/python benchmarks/syndicated.py measure --before /tmp/before13 --datasketch
    .venv/bin/python benchmarks/syndicated.py measure --json r.json      # keep the figures

``--before TREE`` also runs the dedup of another checkout (``PYTHONPATH=TREE``, this venv);
``--datasketch`` adds datasketch's MinHashLSH on character 5-grams (candidates joined into
clusters, no verification) as an anchor. The analysis of misses and false pairs reads
sketches made by this checkout's ``dedup.signatures.minhash.sketch`` from the raw texts.
"""
from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import random
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from real_pages import clusters_of  # noqa: E402  (benchmarks/ is on the path: scripts run from it)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PAGES = ROOT / "tests" / "data" / "real_pages" / "pages.jsonl.gz"
SAMPLES = ROOT / "samples"
SEED = 20261202

VARIANTS = ("full", "truncated", "retitled", "rewrapped", "typographic", "dropped", "note")
LIGHT_VARIANTS = ("retitled", "rewrapped", "typographic", "note")
REPOST_WEIGHTS = (0.15, 0.2, 0.2, 0.2, 0.15, 0.1)  # 0, 1, ..., 5 re-posts of a story
TOPIC_SHARE = 1 / 8

# -- stories ------------------------------------------------------------------------------------


@dataclass
class Story:
    id: str
    lang: str  # "en" (western sites) or "ja"
    source: str  # "real", "en-mix", "ja-mix"
    title: str
    paragraphs: list[str]
    topic: str | None = None  # the story it shares a paragraph or lead with (hard negative)
    topic_kind: str | None = None  # "quote" or "lead"


def read_pages(path: Path = PAGES) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


_EN_SENTENCE = re.compile(r"(?<=[.!?])[\"”’]?\s+(?=[A-Z\"“‘(])")


def en_sentences(paragraph: str) -> list[str]:
    return [s.strip() for s in _EN_SENTENCE.split(paragraph) if s.strip()]


def ja_sentences() -> list[str]:
    """Distinct sentences of the Japanese articles in samples/ (front matter and markup left out)."""
    found: dict[str, None] = {}
    for path in sorted(SAMPLES.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        if text.startswith("---"):
            text = text.split("---", 2)[2]
        for line in text.split("\n"):
            line = line.strip().replace("**", "")
            if not line or line.startswith(("#", "|", "!", "[", "-", "*", ">", "`")):
                continue
            for s in re.findall(r"[^。！？]+[。！？]?", line):
                s = s.strip()
                if len(s) >= 15:
                    found.setdefault(s)
    return list(found)


def _headline_en(sentence: str, rng: random.Random) -> str:
    words = re.sub(r"[\"“”]", "", sentence).rstrip(".!?").split()
    return " ".join(words[: rng.randint(7, 12)])


def _headline_ja(sentence: str, rng: random.Random) -> str:
    return sentence.rstrip("。！？")[: rng.randint(18, 30)]


def real_title(page: dict, article: dict, rng: random.Random) -> str:
    """The page's headline: a 4-25 word line just before the article starts, else the first sentence, shortened."""
    art = set(_lines(article["text"]))
    lines = _lines(page["text"])
    first = next((i for i, x in enumerate(lines) if x in art), None)
    if first is not None:
        for line in reversed(lines[max(0, first - 6) : first]):
            if 4 <= len(line.split()) <= 25 and not line.lower().startswith(("by ", "updated", "published")):
                return line
    body = _lines(article["text"])
    return _headline_en(en_sentences(body[0])[0] if body else article["id"], rng)


def make_stories(rng: random.Random, records: list[dict], real: int, en_mix: int, ja_mix: int) -> list[Story]:
    pages = {r["pair"]: r for r in records if r["id"].endswith("-page")}
    articles = [r for r in records if r["id"].endswith("-article")]
    stories: list[Story] = []
    for art in rng.sample(articles, min(real, len(articles))):
        paragraphs = _lines(art["text"])
        stories.append(Story(f"real-{art['pair']}", "en", "real", real_title(pages[art["pair"]], art, rng), paragraphs))
    pool = [s for art in articles if sum(c.isascii() for c in art["text"]) > 0.97 * len(art["text"])
            for p in _lines(art["text"]) for s in en_sentences(p) if 40 <= len(s) <= 400]
    for k in range(en_mix):
        chosen = rng.sample(pool, rng.randint(10, 30))
        paragraphs = _group(chosen, rng, " ")
        stories.append(Story(f"en-mix-{k:04d}", "en", "en-mix", _headline_en(chosen[0], rng), paragraphs))
    ja_pool = ja_sentences()
    for k in range(ja_mix):
        chosen = rng.sample(ja_pool, rng.randint(10, 40))
        paragraphs = _group(chosen, rng, "")
        stories.append(Story(f"ja-mix-{k:04d}", "ja", "ja-mix", _headline_ja(chosen[0], rng), paragraphs))
    _share_topics(stories, rng)
    return stories


def _group(sentences: list[str], rng: random.Random, sep: str) -> list[str]:
    paragraphs, i = [], 0
    while i < len(sentences):
        n = rng.randint(1, 4)
        paragraphs.append(sep.join(sentences[i : i + n]))
        i += n
    return paragraphs


def _share_topics(stories: list[Story], rng: random.Random) -> None:
    """Hard negatives: a follower story quotes a paragraph of a leader (placed after 40 % of its body, at most a
    quarter of it) or opens with the leader's lead sentence."""
    by_lang: dict[str, list[Story]] = defaultdict(list)
    for s in stories:
        by_lang[s.lang].append(s)
    for group in by_lang.values():
        order = group[:]
        rng.shuffle(order)
        pairs = int(len(order) * TOPIC_SHARE)
        for leader, follower in zip(order[:pairs], order[pairs : 2 * pairs]):
            body = sum(len(p) for p in follower.paragraphs)
            quotes = [p for p in leader.paragraphs if len(p) <= body / 4 and len(p) >= 80]
            if quotes and rng.random() < 0.5:
                quote = rng.choice(quotes)
                at = rng.randint(max(1, int(len(follower.paragraphs) * 0.4)), len(follower.paragraphs))
                quote = f"“{quote}”" if follower.lang == "en" else f"「{quote}」"
                follower.paragraphs.insert(at, quote)
                follower.topic, follower.topic_kind = leader.id, "quote"
            else:
                lead = (en_sentences(leader.paragraphs[0]) or [leader.paragraphs[0]])[0] if leader.lang == "en" \
                    else re.findall(r"[^。！？]+[。！？]?", leader.paragraphs[0])[0]
                follower.paragraphs[0] = lead + (" " if follower.lang == "en" else "") + follower.paragraphs[0]
                follower.topic, follower.topic_kind = leader.id, "lead"


# -- sites --------------------------------------------------------------------------------------

EN_SITE_NAMES = (
    "The Harbor Ledger", "Midland Courier", "Northgate Daily", "Riverside Wire", "The Copper Gazette",
    "Lakeshore Times", "Summit Report", "The Evening Lantern", "Prairie Dispatch", "Crossroads Journal",
    "Bayview Herald", "The Granite Post", "Westfield Observer", "Metro Signal", "The Tidewater News",
    "Highland Record", "Capital Brief", "Sunset Chronicle", "The Ironbridge Press", "Orchard Street Review",
)
JA_SITE_NAMES = (
    "東都新報", "北浜経済ニュース", "みなと日報", "テックリンク", "さくらタイムズ",
    "関西ビジネスオンライン", "未来技術ジャーナル", "日本データ通信", "毎朝デジタル", "AIインサイト",
)
JA_NAV = ("ホーム", "ニュース", "政治", "経済", "国際", "テクノロジー", "ビジネス", "マーケット", "社会", "スポーツ",
          "エンタメ", "ライフ", "科学", "特集", "動画", "ランキング", "速報", "地域", "オピニオン", "天気")
JA_HEADER = ("{name}トップへ", "ログイン", "会員登録（無料）", "検索", "メニュー", "購読のお申し込み", "電子版",
             "本文へスキップ", "お知らせ", "マイページ")
JA_FOOTER = (
    "© {year} {name} All rights reserved.", "{name}について", "利用規約", "プライバシーポリシー", "お問い合わせ",
    "広告掲載について", "採用情報", "サイトマップ", "記事の無断転載を禁じます。",
    "当サイトに掲載されている記事・写真の無断転載を禁じます。著作権は{name}またはその情報提供者に属します。",
    "{name}は信頼性と透明性の高い報道を目指しています。記事に関するご意見は編集部までお寄せください。",
    "運営会社：株式会社{name}メディア　〒100-0001 東京都千代田区",
)
JA_COOKIE = (
    "当サイトでは、利便性向上とアクセス解析のためにクッキー（Cookie）を使用しています。サイトを閲覧し続けることで、クッキーの使用に同意したものとみなします。",
    "このウェブサイトはクッキーを利用しています。詳しくはプライバシーポリシーをご覧ください。同意する",
    "{name}は、サービス向上のためCookieを使用します。設定はブラウザーから変更できます。",
)
JA_PROMO = (
    "【PR】法人向けクラウドサービスの導入事例を無料で公開中。資料請求はこちら",
    "{name}のメールマガジンに登録すると、最新ニュースを毎朝お届けします。",
    "有料会員になると全ての記事が読み放題。初月無料キャンペーン実施中。",
    "公式アプリで記事を読む", "アクセスランキング", "編集部のおすすめ", "X（旧Twitter）で最新情報を発信中",
    "LINEで友だち追加して最新記事を受け取る", "【セミナー】生成AIの業務活用を学ぶオンライン講座、参加者募集中",
    "今週の特集：データセンターと電力の未来", "読者アンケートにご協力ください。抽選で図書カードを進呈します。",
    "ニュースレター「朝の5分で分かる経済」好評配信中",
)
JA_SHARE = ("シェア", "ツイート", "はてなブックマーク", "LINEで送る", "印刷", "保存")
JA_RELATED = ("関連記事", "あわせて読みたい", "この記事を読んだ人はこんな記事も読んでいます", "注目のニュース")
EN_RELATED = ("Related stories", "More from {name}", "You may also like", "Trending now", "Recommended for you",
              "Most read")
EN_SHARE = ("Share this article", "Facebook", "Twitter", "Email", "Print", "Copy link", "Share on LinkedIn")
EN_COOKIE = (
    "We use cookies to personalise content and ads, to provide social media features and to analyse our traffic. "
    "By continuing to browse {name} you agree to our use of cookies.",
    "This site uses cookies. Read our cookie policy to learn more. Accept",
)
EN_AUTHORS = ("Jane Porter", "Marcus Hale", "Priya Natarajan", "Tom Okafor", "Lena Fischer", "Sam Whitaker",
              "Ana Ribeiro", "Daniel Cho", "Grace Mullen", "Omar Haddad", "Staff Writer", "Wire Services")


@dataclass
class Site:
    name: str
    domain: str
    lang: str
    header: list[str]
    footer: list[str]
    promos: list[str]
    related_heading: str
    cookie: str
    related: list[str] = field(default_factory=list)  # the related list now shown
    pages: int = 0


def _domain(name: str, k: int) -> str:
    ascii_name = re.sub(r"[^a-z]+", "", name.lower().replace("the ", ""))
    return f"{ascii_name or 'site'}{k:02d}.example"


def real_chrome(records: list[dict]) -> list[tuple[list[str], list[str], list[str]]]:
    """(header, footer, other lines) of each real two-page western site: lines both its pages share, split at the
    article of the first page, and the first page's other non-article lines."""
    pages: dict[str, list[dict]] = defaultdict(list)
    articles = {r["pair"]: r for r in records if r["id"].endswith("-article")}
    for r in records:
        if r["id"].endswith("-page"):
            pages[r["site"]].append(r)
    found = []
    for site in sorted(pages):
        two = pages[site]
        if len(two) < 2 or sum(c.isascii() for c in two[0]["text"]) < 0.97 * len(two[0]["text"]):
            continue
        first, second = _lines(two[0]["text"]), set(_lines(two[1]["text"]))
        art = set(_lines(articles[two[0]["pair"]]["text"])) | set(_lines(articles[two[1]["pair"]]["text"]))
        start = next((i for i, x in enumerate(first) if x in art), len(first) // 2)
        shared = [(i, x) for i, x in enumerate(first) if x in second and x not in art and "<" not in x]
        if sum(len(x) for _, x in shared) < 400:
            continue
        header = [x for i, x in shared if i < start]
        footer = [x for i, x in shared if i >= start]
        other = [x for x in first if x not in second and x not in art and 30 <= len(x) <= 200]
        found.append((_cap(header, 2500), _cap(footer, 2500), other[:40]))
    return found


def _cap(lines: list[str], chars: int) -> list[str]:
    out, total = [], 0
    for line in lines:
        if total + len(line) > chars:
            break
        out.append(line)
        total += len(line)
    return out


def make_sites(rng: random.Random, records: list[dict]) -> list[Site]:
    chrome = real_chrome(records)
    rng.shuffle(chrome)
    sites = []
    for k, name in enumerate(EN_SITE_NAMES):
        header, footer, other = chrome[k % len(chrome)]
        sites.append(Site(
            name, _domain(name, k), "en", [name, *header], [*footer, f"© 2025 {name}. All rights reserved."],
            other or [f"Subscribe to {name} for unlimited access."],
            rng.choice(EN_RELATED).format(name=name), rng.choice(EN_COOKIE).format(name=name)))
    for k, name in enumerate(JA_SITE_NAMES):
        nav = rng.sample(JA_NAV, rng.randint(8, 16))
        header = [name, *[x.format(name=name) for x in rng.sample(JA_HEADER, rng.randint(3, 7))], *nav]
        footer = [*nav[: rng.randint(4, 8)], *[x.format(name=name, year=2025) for x in rng.sample(JA_FOOTER, rng.randint(5, 10))]]
        promos = [x.format(name=name) for x in rng.sample(JA_PROMO, rng.randint(5, 9))]
        sites.append(Site(name, f"ja{k:02d}.example", "ja", header, footer, promos,
                          rng.choice(JA_RELATED), rng.choice(JA_COOKIE).format(name=name)))
    return sites


# -- variants -----------------------------------------------------------------------------------


def truncate(paragraphs: list[str], share: float, lang: str) -> list[str]:
    """The body cut after ``share`` of its characters, at a sentence end."""
    total = sum(len(p) for p in paragraphs)
    out, used = [], 0
    for p in paragraphs:
        if used + len(p) <= share * total:
            out.append(p)
            used += len(p)
            continue
        sentences = en_sentences(p) if lang == "en" else re.findall(r"[^。！？]+[。！？]?", p)
        part = []
        for s in sentences:
            if used + len(s) > share * total:
                break
            part.append(s)
            used += len(s)
        if part:
            out.append((" " if lang == "en" else "").join(part))
        break
    return out or paragraphs[:1]


def rewrap(paragraphs: list[str], lang: str, rng: random.Random) -> list[str]:
    """Hard-wrapped at another width, or paragraphs joined, or split at sentences."""
    how = rng.choice(("wrap", "join", "split"))
    if how == "join":
        k = rng.randint(2, 4)
        sep = " " if lang == "en" else ""
        return [sep.join(paragraphs[i : i + k]) for i in range(0, len(paragraphs), k)]
    if how == "split":
        out = []
        for p in paragraphs:
            out.extend(en_sentences(p) if lang == "en" else re.findall(r"[^。！？]+[。！？]?", p))
        return out
    width = rng.randint(60, 100) if lang == "en" else rng.randint(28, 45)
    out = []
    for p in paragraphs:
        if lang == "en":
            lines, line = [], ""
            for word in p.split():
                if line and len(line) + 1 + len(word) > width:
                    lines.append(line)
                    line = word
                else:
                    line = f"{line} {word}" if line else word
            lines.append(line)
        else:
            lines = [p[i : i + width] for i in range(0, len(p), width)]
        out.append("\n".join(lines))
    return out


_FULL = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


def typographic(text: str, lang: str, rng: random.Random) -> str:
    if lang == "ja":
        if rng.random() < 0.5:  # half-width letters and digits to full width
            text = re.sub(r"[A-Za-z0-9]", lambda m: _FULL[m.group()], text)
        else:
            text = unicodedata.normalize("NFKC", text)
        return text.replace("「", "『").replace("」", "』").replace("、", "，")
    if rng.random() < 0.5:
        text = re.sub(r'"(\w)', "“\\1", text).replace('"', "”").replace("'", "’").replace(" - ", " — ").replace("...", "…")
    else:
        text = text.replace("“", '"').replace("”", '"').replace("’", "'").replace("‘", "'").replace("—", "--").replace("…", "...")
    return text.replace(". ", ".  ")


def retitle(story: Story, rng: random.Random) -> str:
    if story.lang == "ja":
        sentences = re.findall(r"[^。！？]+[。！？]?", "".join(story.paragraphs))
        return rng.choice(("【速報】", "【解説】", "【独自】", "")) + _headline_ja(rng.choice(sentences[1:] or sentences), rng)
    sentences = [s for p in story.paragraphs for s in en_sentences(p)]
    return rng.choice(("UPDATE: ", "Analysis: ", "", "WATCH: ")) + _headline_en(rng.choice(sentences[1:] or sentences), rng)


EN_NOTES = (
    "Editor's note: This story has been updated with additional reporting.",
    "Editor's note: An earlier version of this article misstated a figure; it has been corrected.",
    "Editor's note: This article is part of our weekly technology briefing, shared with partner newsrooms.",
)
JA_NOTES = (
    "編集部注：本記事は配信元の記事に一部加筆しています。",
    "編集部注：初出時の数値に誤りがあったため訂正しました。",
    "（編集部より）本記事はパートナーメディアとの提携により掲載しています。",
)


# -- pages --------------------------------------------------------------------------------------


def render(story: Story, site: Site, origin: Site, variants: list[str], rng: random.Random, headlines: list[str],
           when: str) -> str:
    """One page: the site's header, byline, title, body (as the variants make it), credit, share, related, promos,
    footer, cookie line."""
    ja = story.lang == "ja"
    paragraphs = list(story.paragraphs)
    title = story.title
    lines_after: list[str] = []
    if "dropped" in variants and len(paragraphs) >= 3:
        del paragraphs[rng.randrange(1, len(paragraphs) - 1)]
    if "truncated" in variants:
        paragraphs = truncate(paragraphs, rng.uniform(0.3, 0.7), story.lang)
        lines_after.append(rng.choice(("続きを読む", f"続きは{origin.name}で", "この記事の続きを読む（外部サイト）")) if ja
                           else rng.choice(("Read more", f"Read more at {origin.name}", "Continue reading »",
                                            f"Read the full story on {origin.name}")))
    if "retitled" in variants:
        title = retitle(story, rng)
    if "rewrapped" in variants:
        paragraphs = rewrap(paragraphs, story.lang, rng)
    if "typographic" in variants:
        paragraphs = [typographic(p, story.lang, rng) for p in paragraphs]
        title = typographic(title, story.lang, rng)
    if "note" in variants:
        note = rng.choice(JA_NOTES if ja else EN_NOTES)
        paragraphs = [note, *paragraphs] if rng.random() < 0.5 else [*paragraphs, note]
    if site is not origin and rng.random() < 0.6:
        lines_after.append(f"この記事は{origin.name}の提供記事です。" if ja
                           else rng.choice((f"This article originally appeared on {origin.name}.",
                                            f"Republished with permission from {origin.name}.")))
    # the related list changes every few pages of a site: consecutive pages share it
    if site.pages % rng.randint(6, 10) == 0 or not site.related:
        site.related = rng.sample(headlines, 6)
    site.pages += 1
    related = [h for h in site.related if h != story.title][: rng.randint(4, 6)]
    author = rng.choice(EN_AUTHORS)
    byline = f"{when} 配信　{site.name}編集部" if ja else f"By {author} | {site.name} | {when}"
    share = rng.sample(JA_SHARE if ja else EN_SHARE, 4)
    promos = rng.sample(site.promos, min(len(site.promos), rng.randint(2, 4)))
    blocks = [
        "\n".join(site.header), byline, title, *paragraphs, *lines_after, "\n".join(share),
        "\n".join([site.related_heading, *related]), *promos, "\n".join(site.footer), site.cookie,
    ]
    return "\n\n".join(b for b in blocks if b)


@dataclass(frozen=True)
class Corpus:
    documents: list[dict]  # id, url, site, text, story, lang, variant, role
    stories: dict[str, Story]


def build_corpus(seed: int = SEED, real: int = 169, en_mix: int = 250, ja_mix: int = 250) -> Corpus:
    """The corpus: ``real`` real articles, ``en_mix`` and ``ja_mix`` recombined stories, their pages on 30 sites."""
    rng = random.Random(seed)
    records = read_pages()
    stories = make_stories(rng, records, real, en_mix, ja_mix)
    sites = make_sites(rng, records)
    by_lang = {lang: [s for s in sites if s.lang == lang] for lang in ("en", "ja")}
    headlines = {lang: [s.title for s in stories if s.lang == lang] for lang in ("en", "ja")}
    plan = []
    for story in stories:
        pool = by_lang[story.lang]
        reposts = rng.choices(range(len(REPOST_WEIGHTS)), REPOST_WEIGHTS)[0]
        chosen = rng.sample(pool, 1 + reposts)
        plan.append((story, chosen[0], chosen[0], ["original"]))
        for site in chosen[1:]:
            variants = [rng.choice(VARIANTS)]
            if rng.random() < 0.25:
                variants.append(rng.choice([v for v in LIGHT_VARIANTS if v != variants[0]]))
            plan.append((story, site, chosen[0], variants))
    rng.shuffle(plan)  # pages of a site come in no order of story
    documents = []
    for n, (story, site, origin, variants) in enumerate(plan):
        day = rng.randint(1, 28)
        when = f"2025年11月{day}日 {rng.randint(6, 23)}:{rng.randint(0, 59):02d}" if story.lang == "ja" \
            else f"Nov. {day}, 2025"
        text = render(story, site, origin, variants, rng, headlines[story.lang], when)
        slug = re.sub(r"[^a-z0-9]+", "-", story.title.lower()).strip("-")[:50] or story.id
        documents.append({
            "id": f"d{n:05d}", "url": f"https://{site.domain}/2025/11/{slug}-{n}", "site": site.domain,
            "text": text, "story": story.id, "lang": story.lang, "source": story.source,
            "variant": "+".join(variants), "role": "original" if variants == ["original"] else "repost",
        })
    return Corpus(documents, {s.id: s for s in stories})


def write_corpus(corpus: Corpus, path: Path, documents: list[dict] | None = None) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for d in corpus.documents if documents is None else documents:
            fh.write(json.dumps(d, ensure_ascii=False) + "\n")


def _norm_line(line: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", line).split()).casefold()


def strip_site_lines(documents: list[dict], min_pages: int = 3) -> list[dict]:
    """The documents without the lines (case, width and white space aside) that ``min_pages`` or more pages of the
    same host have: what a per-host line-frequency filter would leave. Uses only ``url`` and ``text``."""
    from urllib.parse import urlsplit

    host = [urlsplit(d["url"]).hostname for d in documents]
    pages: dict[tuple[str, str], int] = Counter()
    for h, d in zip(host, documents):
        for line in {_norm_line(x) for x in d["text"].split("\n") if x.strip()}:
            pages[h, line] += 1
    out = []
    for h, d in zip(host, documents):
        kept = [x for x in d["text"].split("\n") if not x.strip() or pages[h, _norm_line(x)] < min_pages]
        out.append({**d, "text": re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()})
    return out


# -- scores -------------------------------------------------------------------------------------


def report_clusters(report_path: Path) -> dict[str, list[str]]:
    with open(report_path, encoding="utf-8") as fh:
        docs = json.load(fh)["documents"]
    return clusters_of({d["id"]: d.get("duplicate_of") for d in docs})


def scores(clusters: dict[str, list[str]], corpus: Corpus) -> dict:
    """Re-post recall, pair recall, precision, wrong pairs by kind, and re-post recall by variant."""
    doc = {d["id"]: d for d in corpus.documents}
    topic_of = {s.id: s.topic for s in corpus.stories.values() if s.topic}
    cluster_of = {m: c for c, members in clusters.items() for m in members}
    predicted = true = 0
    wrong = Counter()
    for members in clusters.values():
        groups = Counter((doc[m]["story"], doc[m]["site"]) for m in members)
        items = list(groups.items())
        for i, ((story_a, site_a), n_a) in enumerate(items):
            pairs = n_a * (n_a - 1) // 2
            predicted += pairs
            true += pairs
            for (story_b, site_b), n_b in items[i + 1:]:
                predicted += n_a * n_b
                if story_a == story_b:
                    true += n_a * n_b
                elif topic_of.get(story_a) == story_b or topic_of.get(story_b) == story_a:
                    wrong["topic"] += n_a * n_b
                elif site_a == site_b:
                    wrong["same site"] += n_a * n_b
                else:
                    wrong["other"] += n_a * n_b
    by_story = Counter(d["story"] for d in corpus.documents)
    positives = sum(n * (n - 1) // 2 for n in by_story.values())
    original = {d["story"]: d["id"] for d in corpus.documents if d["role"] == "original"}
    reposts = [d for d in corpus.documents if d["role"] == "repost"]
    found = [d for d in reposts if cluster_of[d["id"]] == cluster_of[original[d["story"]]]]
    by_variant: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for d in reposts:
        hit = cluster_of[d["id"]] == cluster_of[original[d["story"]]]
        for v in d["variant"].split("+"):
            by_variant[v][0] += hit
            by_variant[v][1] += 1
    return {
        "documents": len(corpus.documents), "stories": len(by_story), "reposts": len(reposts),
        "repost_recall": len(found) / len(reposts) if reposts else 1.0, "reposts_found": len(found),
        "pair_recall": true / positives if positives else 1.0, "true_pairs": true, "positives": positives,
        "predicted": predicted, "precision": true / predicted if predicted else 1.0,
        "wrong": {k: wrong.get(k, 0) for k in ("same site", "topic", "other")},
        "by_variant": {v: tuple(by_variant[v]) for v in VARIANTS if v in by_variant},
        "largest_cluster": max((len(m) for m in clusters.values()), default=0),
    }


# -- runs ---------------------------------------------------------------------------------------


def dedup_command(tree: Path | None) -> list[str]:
    """The dedup CLI this interpreter imports (``PYTHONPATH`` decides), or that of ``tree`` (another checkout)."""
    code = "import sys; from dedup.cli import main; sys.argv[0] = 'dedup'; main()"
    return [*(["env", f"PYTHONPATH={tree}"] if tree else []), sys.executable, "-P", "-c", code]


def run_dedup(corpus_path: Path, workdir: Path, args: str, tree: Path | None = None) -> tuple[dict[str, list[str]], dict]:
    out = workdir / "out.jsonl"
    report = Path(f"{out}.report.json")
    for p in (out, report):
        p.unlink(missing_ok=True)
    cmd = [*dedup_command(tree), "clean", str(corpus_path), "--id-key", "id", "--out", str(out), "-q", "--no-html",
           *shlex.split(args)]
    load = os.getloadavg()[0]
    before = os.times()
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    wall = time.perf_counter() - t0
    after = os.times()
    cpu = (after.children_user + after.children_system) - (before.children_user + before.children_system)
    return report_clusters(report), {"wall": wall, "cpu": cpu, "load": load}


def datasketch_minhashes(corpus: Corpus) -> tuple[list, dict]:
    """datasketch MinHash (128 permutations, XXH32 of each shingle, as dedup's) of the character 5-grams of each
    page's NFKC-normalised, case-folded text without white space."""
    import xxhash
    from datasketch import MinHash

    before, t0 = os.times(), time.perf_counter()
    template = MinHash(num_perm=128, seed=1, hashfunc=xxhash.xxh32_intdigest)
    found = []
    for d in corpus.documents:
        form = "".join(unicodedata.normalize("NFKC", d["text"]).casefold().split())
        m = template.copy()
        m.update_batch(list({form[i : i + 5].encode("utf-8") for i in range(max(1, len(form) - 4))}))
        found.append(m)
    after = os.times()
    return found, {"wall": time.perf_counter() - t0, "cpu": (after.user + after.system) - (before.user + before.system)}


def datasketch_clusters(corpus: Corpus, minhashes: list, threshold: float, sketched: dict) -> tuple[dict[str, list[str]], dict]:
    """datasketch MinHashLSH at ``threshold``: every candidate pair joined (union-find), no verification. Time
    includes making the MinHashes (``sketched``)."""
    from datasketch import MinHashLSH

    load = os.getloadavg()[0]
    before, t0 = os.times(), time.perf_counter()
    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    parent = {d["id"]: d["id"] for d in corpus.documents}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for d, m in zip(corpus.documents, minhashes):
        for other in lsh.query(m):
            parent[find(other)] = find(d["id"])
        lsh.insert(d["id"], m)
    out: dict[str, list[str]] = defaultdict(list)
    for d in corpus.documents:
        out[find(d["id"])].append(d["id"])
    after = os.times()
    return out, {"wall": time.perf_counter() - t0 + sketched["wall"],
                 "cpu": (after.user + after.system) - (before.user + before.system) + sketched["cpu"], "load": load}


# -- analysis -----------------------------------------------------------------------------------


def analyse(clusters: dict[str, list[str]], corpus: Corpus, documents: list[dict] | None = None) -> dict:
    """Missed and found re-posts (each against its story's original) and wrong pairs (two documents of different
    stories in one cluster): sizes, true shingle Jaccard and containment, sampled containment, by primary variant.
    ``documents``: the texts that were run, if not the corpus's own (same ids, same order)."""
    from dedup.signatures.minhash import MinHashParams, shingle_hashes, sketch
    from dedup.signatures.samples import sampled_containment

    docs = corpus.documents if documents is None else documents
    index = {d["id"]: i for i, d in enumerate(docs)}
    texts = [d["text"] for d in docs]
    params = MinHashParams()
    sk = sketch(texts, params)
    hashes, offsets = shingle_hashes(texts, params)
    sets = [None] * len(docs)

    def shingles(i: int) -> set:
        if sets[i] is None:
            sets[i] = set(hashes[offsets[i] : offsets[i + 1]].tolist())
        return sets[i]

    def measure(a: int, b: int) -> dict:
        sa, sb = shingles(a), shingles(b)
        small, large = (a, b) if len(sa) <= len(sb) else (b, a)
        inter = len(sa & sb)
        return {"chars": (len(texts[a]), len(texts[b])),
                "jaccard": inter / len(sa | sb) if sa or sb else 0.0,
                "containment": inter / min(len(sa), len(sb)) if min(len(sa), len(sb)) else 0.0,
                "sampled": sampled_containment(sk.samples.of(small), sk.samples.of(large)) if sk.samples is not None else None,
                "samples": int(min(len(sk.samples.of(a)), len(sk.samples.of(b)))) if sk.samples is not None else None}

    cluster_of = {m: c for c, members in clusters.items() for m in members}
    original = {d["story"]: d["id"] for d in docs if d["role"] == "original"}
    missed = defaultdict(list)
    found_stats = defaultdict(list)
    for d in docs:
        if d["role"] != "repost":
            continue
        o = original[d["story"]]
        m = measure(index[d["id"]], index[o])
        (found_stats if cluster_of[d["id"]] == cluster_of[o] else missed)[d["variant"].split("+")[0]].append(m)
    wrong = []
    for members in clusters.values():
        if len(members) < 2:
            continue
        for a, b in itertools.combinations(members, 2):
            if docs[index[a]]["story"] != docs[index[b]]["story"]:
                wrong.append((a, b, measure(index[a], index[b])))
            if len(wrong) > 2000:
                break
    return {"missed": dict(missed), "found": dict(found_stats), "wrong": wrong}


def _spread(values: list[float], fmt: str = "{:.2f}") -> str:
    if not values:
        return "—"
    return f"{fmt.format(min(values))}-{fmt.format(max(values))} (median {fmt.format(statistics.median(values))})"


def format_analysis(result: dict, corpus: Corpus) -> str:
    doc = {d["id"]: d for d in corpus.documents}
    lines = ["| primary variant | missed / re-posts | missed: chars of re-post / original (median) | "
             "missed: shingle Jaccard | missed: containment, smaller in larger | missed: sampled containment | "
             "found: shingle Jaccard | found: sampled containment |", "|---|--:|--:|--:|--:|--:|--:|--:|"]
    for v in VARIANTS:
        miss, hit = result["missed"].get(v, []), result["found"].get(v, [])
        if not miss and not hit:
            continue
        lines.append(
            f"| {v} | {len(miss)} / {len(miss) + len(hit)} | "
            + (f"{statistics.median(m['chars'][0] for m in miss):,.0f} / {statistics.median(m['chars'][1] for m in miss):,.0f}" if miss else "—")
            + f" | {_spread([m['jaccard'] for m in miss])} | {_spread([m['containment'] for m in miss])} | "
            f"{_spread([m['sampled'] for m in miss if m['sampled'] is not None])} | {_spread([m['jaccard'] for m in hit])} | "
            f"{_spread([m['sampled'] for m in hit if m['sampled'] is not None])} |")
    wrong = result["wrong"]
    if wrong:
        kinds = Counter()
        for a, b, m in wrong:
            da, db = doc[a], doc[b]
            kinds["same site" if da["site"] == db["site"] else "other site"] += 1
        lines += ["", f"Wrong pairs (up to 2,000 looked at): {len(wrong)}, {dict(kinds)}; shingle Jaccard "
                  f"{_spread([m['jaccard'] for _, _, m in wrong])}, containment {_spread([m['containment'] for _, _, m in wrong])}, "
                  f"sampled containment {_spread([m['sampled'] for _, _, m in wrong if m['sampled'] is not None])}, "
                  f"smaller document {_spread([min(m['chars']) for _, _, m in wrong], '{:,.0f}')} chars."]
    return "\n".join(lines)


def format_table(rows: list[dict]) -> str:
    lines = ["| run | re-post recall | pair recall | precision | true / predicted pairs | wrong pairs: same site / topic / other | "
             "largest cluster | wall | CPU | load (1 min) |", "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for r in rows:
        s = r["scores"]
        w = s["wrong"]
        lines.append(
            f"| {r['name']} | {s['repost_recall']:.3f} ({s['reposts_found']}/{s['reposts']}) | {s['pair_recall']:.3f} | "
            f"{s['precision']:.3f} | {s['true_pairs']:,} / {s['predicted']:,} | {w['same site']:,} / {w['topic']:,} / {w['other']:,} | "
            f"{s['largest_cluster']} | {r['time']['wall']:.1f} s | {r['time']['cpu']:.1f} s | {r['time']['load']:.2f} |")
    variants = [v for v in VARIANTS if any(v in r["scores"]["by_variant"] for r in rows)]
    lines += ["", "Re-posts found (in their original's cluster) by variant (a re-post with two variants counts under both):", "",
              "| run | " + " | ".join(variants) + " |", "|---|" + "--:|" * len(variants)]
    for r in rows:
        bv = r["scores"]["by_variant"]
        lines.append(f"| {r['name']} | " + " | ".join(f"{bv[v][0]}/{bv[v][1]}" if v in bv else "—" for v in variants) + " |")
    return "\n".join(lines)


def describe(corpus: Corpus) -> str:
    docs = corpus.documents
    chars = [len(d["text"]) for d in docs]
    stories = corpus.stories.values()
    variants = Counter(v for d in docs if d["role"] == "repost" for v in d["variant"].split("+"))
    body = [sum(len(p) for p in s.paragraphs) for s in stories]
    return (f"{len(docs):,} documents ({sum(d['role'] == 'original' for d in docs):,} originals, "
            f"{sum(d['role'] == 'repost' for d in docs):,} re-posts) of {len(corpus.stories):,} stories "
            f"({Counter(s.source for s in stories)}), on {len({d['site'] for d in docs})} sites; "
            f"{sum(chars) / 1e6:.1f} MB of text... pages {min(chars):,}-{max(chars):,} chars (median {statistics.median(chars):,.0f}), "
            f"story bodies {min(body):,}-{max(body):,} chars (median {statistics.median(body):,.0f}); "
            f"topic pairs: {Counter(s.topic_kind for s in stories if s.topic)}; re-post variants: {dict(variants)}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("write", help="write the corpus as JSONL")
    w.add_argument("path", type=Path)
    m = sub.add_parser("measure", help="run dedup clean on the corpus and score it")
    m.add_argument("configs", nargs="*", default=["", "--lsh-threshold 0.5"], help="dedup clean options per run")
    m.add_argument("--before", type=Path, help="also run the dedup of this checkout (PYTHONPATH)")
    m.add_argument("--datasketch", action="store_true", help="also datasketch MinHashLSH at 0.8 and 0.5")
    m.add_argument("--analyse", action="store_true", help="misses and wrong pairs of the defaults, by variant")
    m.add_argument("--strip-site-lines", action="store_true",
                   help="also run on the pages less the lines that 3 or more pages of their host have")
    m.add_argument("--json", type=Path, help="write the figures here")
    for p in (w, m):
        p.add_argument("--seed", type=int, default=SEED)
        p.add_argument("--small", action="store_true", help="the test's size: 60 real, 0 en-mix, 60 ja-mix stories")
    args = ap.parse_args(argv)
    sizes = dict(real=60, en_mix=0, ja_mix=60) if args.small else {}
    t0 = time.perf_counter()
    corpus = build_corpus(args.seed, **sizes)
    print(f"corpus built in {time.perf_counter() - t0:.1f} s: {describe(corpus)}", file=sys.stderr)
    if args.cmd == "write":
        write_corpus(corpus, args.path)
        return
    rows = []
    print(f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())} at start", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="syndicated_") as tmp:
        path = Path(tmp) / "corpus.jsonl"
        write_corpus(corpus, path)
        warm = Path(tmp) / "warm.jsonl"
        write_corpus(corpus, warm, corpus.documents[:20])
        run_dedup(warm, Path(tmp), "")  # untimed warm-up: imports, compiled kernels' cache
        trees = [(None, "")] + ([(args.before, "before ")] if args.before else [])
        for tree, label in trees:
            for config in args.configs:
                clusters, timing = run_dedup(path, Path(tmp), config, tree)
                name = f"{label}dedup {config or '(defaults)'}"
                rows.append({"name": name, "scores": scores(clusters, corpus), "time": timing})
                print(format_table(rows[-1:]).split("\n")[2], file=sys.stderr)
                if args.analyse and tree is None and config == "":
                    analysis = format_analysis(analyse(clusters, corpus), corpus)
        if args.strip_site_lines:
            stripped = Path(tmp) / "stripped.jsonl"
            write_corpus(corpus, stripped, strip_site_lines(corpus.documents))
            for config in args.configs:
                clusters, timing = run_dedup(stripped, Path(tmp), config)
                rows.append({"name": f"dedup {config or '(defaults)'}, lines of ≥ 3 pages of a host removed first",
                             "scores": scores(clusters, corpus), "time": timing})
                print(format_table(rows[-1:]).split("\n")[2], file=sys.stderr)
                if args.analyse and config == "":
                    stripped_analysis = format_analysis(
                        analyse(clusters, corpus, strip_site_lines(corpus.documents)), corpus)
        if args.datasketch:
            minhashes, sketched = datasketch_minhashes(corpus)
            for t in (0.8, 0.5):
                clusters, timing = datasketch_clusters(corpus, minhashes, t, sketched)
                rows.append({"name": f"datasketch MinHashLSH t={t}, char 5-grams, no verification",
                             "scores": scores(clusters, corpus), "time": timing})
    print(f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())} at the end", file=sys.stderr)
    print(format_table(rows))
    if args.analyse:
        print("\nDefaults, misses by primary variant and wrong pairs (raw texts, this checkout's sketches):\n")
        print(analysis)
        if args.strip_site_lines:
            print("\nDefaults on the pages less their host's repeated lines, the same analysis (stripped texts):\n")
            print(stripped_analysis)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
