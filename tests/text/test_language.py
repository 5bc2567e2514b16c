"""Language identification and matching normalization seen from the extraction API."""

from __future__ import annotations

import py3langid
import pytest
import wordfreq
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.extract import extract_text
from pipeline.text.langid import identifier
from pipeline.text.language import detect_language, frequent_words, stopwords
from pipeline.text.normalize import normalize_for_matching

ENGLISH = ("The committee met on Thursday and agreed that the new rules would take effect next spring, "
           "after a long debate about what they would cost the small businesses of the region.")
FRENCH = ("Le comité s'est réuni jeudi et a convenu que les nouvelles règles entreraient en vigueur au "
          "printemps prochain, après un long débat sur leur coût pour les petites entreprises de la région.")
GERMAN = ("Der Ausschuss hat am Donnerstag beschlossen, dass die neuen Regeln im nächsten Frühjahr in Kraft "
          "treten, nach einer langen Debatte über die Kosten für die kleinen Unternehmen der Region.")


def test_languages_of_the_development_set(seed_bytes):
    assert detect_language(seed_bytes["000_3b93ccf9d086253d.txt"].decode("utf-8")) == "ar"
    assert detect_language(ENGLISH) == "en"
    assert detect_language(FRENCH) == "fr"
    assert detect_language(GERMAN) == "de"


def test_too_little_text_has_no_language():
    assert detect_language("12:45 — ::") is None


def test_extracted_language_and_original_characters_are_kept():
    dump = "\n\n".join(["Menu", "Rules agreed", ENGLISH, ENGLISH.replace("Thursday", "Friday")])
    result = extract_text(dump)
    assert result.language == "en"
    arabic = "أكّد الوزيرُ أنّ المفاوضاتِ ستُستأنف"
    assert normalize_for_matching(arabic) != arabic  # matching folds marks and letter variants...
    assert normalize_for_matching(arabic) == normalize_for_matching("اكد الوزير ان المفاوضات ستستانف")


def test_arabic_stopwords_come_normalized():
    words = stopwords("ar")
    assert "في" in words and "الي" in words  # إلى folded to الي like the text it is matched against


_SCRIPTS = st.sampled_from([ENGLISH, FRENCH, GERMAN, "لافروف: موسكو تعمل على استئناف المفاوضات مع كييف.", "Лавров заявил",
                            "外交部发言人表示", "नई दिल्ली", "12:45", "\u0640\u064b", "", " ", "ÉÀ"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_SCRIPTS, st.text(max_size=80)), max_size=12).map(" ".join))
def test_compiled_identifier_scores_exactly_as_py3langid(text):
    assert identifier().classify(text) == py3langid.classify(text)


def test_compiled_identifier_on_real_articles(seed_bytes):
    for raw in seed_bytes.values():
        text = raw.decode("utf-8")
        assert identifier().rank(text) == py3langid.rank(text)


@pytest.mark.parametrize("language", ["en", "de", "ar", "zh", "pt-BR"])
@pytest.mark.parametrize("min_zipf", [5.0, 4.0, 2.5])
def test_frequent_words_are_the_head_of_wordfreqs_own_table(language, min_zipf):
    # the head is streamed from wordfreq's file; wordfreq's own reader unpacks the whole table
    table = wordfreq.get_frequency_list.__wrapped__(language, wordlist="best")
    expected = {word: 9 - index / 100 for index, bucket in enumerate(table) for word in bucket
                if 9 - index / 100 >= min_zipf - 1e-9}
    assert frequent_words(language, min_zipf) == expected
    assert frequent_words(language, min_zipf)


def test_a_language_wordfreq_does_not_have_has_no_frequent_words():
    assert frequent_words("xx", 4.0) == {}
