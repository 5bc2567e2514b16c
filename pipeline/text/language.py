"""Language identification (py3langid) and per-language stopword lists for the text-mode heuristics."""

from __future__ import annotations

import functools
import gzip
import logging
import re

from pipeline.text.normalize import normalize_for_matching, tokenize

logger = logging.getLogger(__name__)

# ISO 639-1 -> jusText stoplist name; jusText ships the broadest set of hand-made stoplists.
_JUSTEXT_NAMES = {
    "af": "Afrikaans", "sq": "Albanian", "ar": "Arabic", "an": "Aragonese", "hy": "Armenian", "az": "Azerbaijani",
    "eu": "Basque", "be": "Belarusian", "bn": "Bengali", "bs": "Bosnian", "br": "Breton", "bg": "Bulgarian",
    "ca": "Catalan", "cv": "Chuvash", "hr": "Croatian", "cs": "Czech", "da": "Danish", "nl": "Dutch",
    "en": "English", "eo": "Esperanto", "et": "Estonian", "fi": "Finnish", "fr": "French", "gl": "Galician",
    "ka": "Georgian", "de": "German", "el": "Greek", "gu": "Gujarati", "ht": "Haitian", "he": "Hebrew",
    "hi": "Hindi", "hu": "Hungarian", "is": "Icelandic", "io": "Ido", "ig": "Igbo", "id": "Indonesian",
    "ga": "Irish", "it": "Italian", "jv": "Javanese", "kn": "Kannada", "kk": "Kazakh", "ko": "Korean",
    "ku": "Kurdish", "ky": "Kyrgyz", "la": "Latin", "lv": "Latvian", "lt": "Lithuanian", "lb": "Luxembourgish",
    "mk": "Macedonian", "ms": "Malay", "ml": "Malayalam", "mt": "Maltese", "mr": "Marathi", "ne": "Nepali",
    "nb": "Norwegian_Bokmal", "no": "Norwegian_Bokmal", "nn": "Norwegian_Nynorsk", "oc": "Occitan",
    "fa": "Persian", "pl": "Polish", "pt": "Portuguese", "qu": "Quechua", "ro": "Romanian", "ru": "Russian",
    "sr": "Serbian", "sk": "Slovak", "sl": "Slovenian", "es": "Spanish", "su": "Sundanese", "sw": "Swahili",
    "sv": "Swedish", "tl": "Tagalog", "ta": "Tamil", "te": "Telugu", "tr": "Turkish", "tk": "Turkmen",
    "uk": "Ukrainian", "ur": "Urdu", "uz": "Uzbek", "vi": "Vietnamese", "vo": "Volapuk", "wa": "Walloon",
    "cy": "Welsh", "fy": "West_Frisian", "yo": "Yoruba",
}
_LETTER = re.compile(r"[^\W\d_]")


def detect_language(text: str, min_chars: int = 20, sample_chars: int = 20000) -> str | None:
    """ISO 639-1 code of the first `sample_chars` of `text` by py3langid's model, or None when too few letters."""
    sample = text[:sample_chars]
    if len(_LETTER.findall(sample)) < min_chars:
        return None
    from pipeline.text.langid import identifier

    code, _score = identifier().classify(sample)
    return code or None


@functools.lru_cache(maxsize=64)
def stopwords(language: str | None) -> frozenset[str]:
    """Matching-normalized stopwords of `language`: jusText's list, else wordfreq's most frequent words.

    For unspaced scripts (Chinese, Japanese, Thai) the tokens are single characters, so the list is the
    most frequent single characters. Unknown languages get an empty set (the other signals still work).
    """
    if not language:
        return frozenset()
    words: set[str] = set()
    name = _JUSTEXT_NAMES.get(language)
    if name:
        import justext

        words = set(justext.get_stoplist(name))
    if not words:
        words = set(list(frequent_words(language, 4.0))[:300])  # most frequent first
        if language in ("zh", "ja", "th"):
            words = {ch for word in words for ch in word}
    normalized = set()
    for word in words:
        normalized.update(tokenize(normalize_for_matching(word)))
    return frozenset(normalized)


@functools.lru_cache(maxsize=128)
def frequent_words(language: str, min_zipf: float) -> dict[str, float]:
    """Words of `language` with a Zipf frequency of at least `min_zipf` in wordfreq's table, with that frequency.

    Only this head is read. wordfreq stores a table as a gzipped msgpack list of centibel buckets, most
    frequent first (bucket i has Zipf 9 - i/100); `wordfreq.get_frequency_list` unpacks all of it and keeps
    it (~50 MB a language: worker processes grew by hundreds of MB on multilingual crawls), 40-180 ms of CPU
    a language in every worker. Streaming just the head costs ~0.3 ms for the Zipf 5 head dedup reads and
    10-25 ms for Zipf 2.5, and gives the same buckets (`tests/text/test_language.py`).
    """
    path = _wordlist_path(language)
    if path is None:
        return {}
    head = _head_buckets(path, int(round(100 * (9 - min_zipf))) + 1)
    return {word: 9 - index / 100 for index, bucket in enumerate(head) for word in bucket}


def _wordlist_path(language: str) -> str | None:
    """The file of wordfreq's best table for `language`, matched as `wordfreq.get_frequency_list` matches it."""
    import langcodes
    import wordfreq

    available = wordfreq.available_languages("best")
    best, _distance = langcodes.closest_match(language, list(available), max_distance=60)
    return None if best == "und" else available[best]


def _head_buckets(path: str, count: int) -> list[list[str]]:
    """The first `count` buckets of a wordfreq cBpack file, read as a stream (the rest is never inflated)."""
    import msgpack

    with gzip.open(path, "rb") as stream:
        unpacker = msgpack.Unpacker(stream, raw=False)
        size = unpacker.read_array_header()
        header = unpacker.unpack() if size else None
        if not isinstance(header, dict) or header.get("format") != "cB" or header.get("version") != 1:
            raise ValueError(f"{path}: not a wordfreq cBpack table (header {header!r})")
        return [unpacker.unpack() for _ in range(min(count, size - 1))]


# Below this, a word counts as rare (Zipf 0): only frequent words decide whether a line reads as prose.
_RARITY_FLOOR = 2.5


def word_rarity(word: str, language: str | None) -> float:
    """Zipf frequency of `word` in `language` (0 = rare or unseen, 7 = the most frequent words)."""
    if not language or language in ("zh", "ja", "th", "ko"):
        return 0.0  # wordfreq's tables for these need segmenters (jieba, MeCab) to look words up
    return frequent_words(language, _RARITY_FLOOR).get(word.casefold(), 0.0)
