"""The text mode's failure modes on unseen sites (issue #16), as small pages written for these tests.

Each page is shaped like an html-text dump of a news page: the <title> line, navigation, the headline,
a dateline, the article, then whatever the failure mode puts around it.
"""

from __future__ import annotations

import pytest

from pipeline.errors import Rejected
from pipeline.extract import SiteTemplates, extract_text

MENU = ["Home", "News", "Politics", "Business", "Culture", "Sport", "Contact"]
FOOTER = ["Imprint", "Privacy policy", "© 2024 Harbour Gazette"]

HARBOUR = [
    "The city council voted on Tuesday evening to rebuild the old harbour wall before the winter storms, "
    "after engineers warned that a section near the ferry terminal could give way within months.",
    "The work will cost about 4 million euros and is to start in October, the mayor said after the vote. "
    "Fishermen who use the inner basin will have to move their boats to the northern pier until spring.",
    "Opposition councillors supported the plan but asked why the repairs had been delayed for three years, "
    "when the first report on the damaged stones reached the town hall in 2021.",
]
LIBRARY = [
    "The public library will open on Sundays from next month, the first change to its hours in a decade, "
    "after a survey found that most readers could only visit at the weekend.",
    "Two new librarians have been hired for the extra day, paid from a regional fund for culture, and the "
    "reading room on the first floor will host a children's story hour every Sunday morning.",
    "The head librarian said the building had become too quiet on weekdays, while families kept asking "
    "why its doors stayed shut on the one day they were free to come.",
]


def dump(title: str, article: list[str], before: list[str] = (), after: list[str] = ()) -> str:
    lines = [f"{title} | Harbour Gazette", *MENU, *before, title, "12 March 2024", *article, *after, *FOOTER]
    return "\n\n".join(lines)


def lines_of(text: str) -> set[str]:
    return set(text.split("\n"))


CONSENT = [
    "Privacy Overview",
    "This website uses cookies to improve your experience while you navigate through the website. Out of "
    "these, the cookies that are categorized as necessary are stored on your browser as they are essential "
    "for the working of basic functionalities of the website.",
    "We also use third-party cookies that help us analyze and understand how you use this website. These "
    "cookies will be stored in your browser only with your consent. You also have the option to opt-out of "
    "these cookies, but opting out of some of them may affect your browsing experience.",
    "Necessary", "Always Enabled", "Accept all", "Save and accept",
]
NEWSLETTER = [
    "Sign up for our newsletter",
    "Get the most important stories of the day delivered to your inbox every morning, together with our "
    "weekend reading list and invitations to events for subscribers. You can unsubscribe at any time.",
    "By subscribing you agree to our terms of use and privacy policy, and to receive occasional offers "
    "from our partners, which you can switch off in your account settings.",
    "Your e-mail address", "Subscribe",
]
COMMENTS = [
    "12 comments", "Leave a comment",
    "Maria K.", "13 March 2024 at 08:12", "About time, that wall has been falling apart for years.", "Reply",
    "Tom", "13 March 2024 at 09:40", "Four million seems a lot for a few stones, who is getting the contract?",
    "Reply", "Harbourfan77", "13 March 2024 at 11:03", "My grandfather fished from that basin, glad to see it saved.",
    "Reply",
]
RELATED = [
    "Related stories",
    "Ferry timetable changes for the summer season",
    "Storm damage closes the coastal road for two days",
    "Council approves new budget for schools",
    "Fish market to move to the northern pier",
    "Harbour festival returns after four years",
    "Mayor defends plan for new parking garage",
]


def test_consent_notice_is_not_the_article():
    result = extract_text(dump("Harbour wall to be rebuilt before winter", HARBOUR, after=CONSENT))
    assert lines_of(result.text) == set(HARBOUR)
    assert result.title == "Harbour wall to be rebuilt before winter"


def test_consent_notice_before_a_short_article_is_not_the_article():
    result = extract_text(dump("Harbour wall to be rebuilt before winter", HARBOUR[:2], before=CONSENT))
    assert "cookies" not in result.text and HARBOUR[0] in result.text
    assert result.title != "Privacy Overview"


def test_newsletter_block_is_not_the_article():
    result = extract_text(dump("Library to open on Sundays", LIBRARY, after=NEWSLETTER))
    assert lines_of(result.text) == set(LIBRARY)


def test_comment_thread_after_the_article_is_dropped():
    result = extract_text(dump("Harbour wall to be rebuilt before winter", HARBOUR, after=COMMENTS))
    assert lines_of(result.text) == set(HARBOUR)


def test_related_headlines_are_dropped():
    result = extract_text(dump("Library to open on Sundays", LIBRARY, after=RELATED))
    assert lines_of(result.text) == set(LIBRARY)


def test_short_article_is_not_rejected():
    short = ["The ferry to the island will not run on Friday because of a strike by harbour staff, the operator "
             "said. Tickets bought for that day will be refunded or can be used on Saturday."]
    result = extract_text(dump("No ferry on Friday", short, after=RELATED))
    assert result.text == short[0]


ABOUT = [
    "About the Harbour Gazette",
    "The Harbour Gazette is an independent newsroom that has reported on the town, its port and its people "
    "since 1921. We are funded by our readers and do not take money from the companies we write about.",
    "Our reporters can be reached at the newsroom on the harbour front every weekday, and every letter we "
    "receive is read by an editor before the next morning's meeting decides what we cover.",
]


def test_two_articles_of_one_site_in_one_folder_keep_their_own_bodies():
    pages = {"harbour": dump("Harbour wall to be rebuilt before winter", HARBOUR[:2], after=ABOUT),
             "library": dump("Library to open on Sundays", LIBRARY[:2], after=ABOUT)}
    templates = SiteTemplates()
    for page in pages.values():
        templates.observe("file", page)
    harbour = extract_text(pages["harbour"], source="file", templates=templates)
    library = extract_text(pages["library"], source="file", templates=templates)
    assert harbour.text != library.text
    assert lines_of(harbour.text) == set(HARBOUR[:2])
    assert lines_of(library.text) == set(LIBRARY[:2])


def test_a_story_printed_twice_by_one_site_is_not_template():
    pages = [dump("Harbour wall to be rebuilt before winter", HARBOUR, after=ABOUT),
             dump("Harbour wall: council votes for repairs", HARBOUR, after=ABOUT),
             dump("Library to open on Sundays", LIBRARY, after=ABOUT)]
    templates = SiteTemplates()
    for page in pages:
        templates.observe("file", page)
    for page in pages[:2]:
        assert lines_of(extract_text(page, source="file", templates=templates).text) == set(HARBOUR)


@pytest.mark.parametrize("text", ["", "Home\n\nNews\n\nContact", "\n".join(CONSENT[-4:])])
def test_pages_without_an_article_are_rejected(text):
    with pytest.raises(Rejected, match="no_article"):
        extract_text(text)
