"""Training-time augmentation: boilerplate blocks of the kinds that fooled the text mode on unseen sites.

Real train pages rarely print a consent notice, a newsletter pitch or a comment thread into their text
dump, so the block classifier saw too few to learn them. `augmented` returns a copy of a train page with
one such block inserted next to its article (before it, right after it, or at the page end), every
inserted line labelled boilerplate. The texts below are written for this purpose in the languages of
our sources; the tests' fixture pages (tests/extract/test_failure_modes.py) use other wording.
"""

from __future__ import annotations

import random

CONSENT = {
    "en": ["Cookie settings", "We value your privacy. We and our partners store and access information on your "
           "device, such as cookies, and process personal data like unique identifiers for personalised ads and "
           "content, ad and content measurement, and audience insights.", "You can accept or manage your choices "
           "below, including your right to object where legitimate interest is used, at any time in the privacy "
           "settings at the bottom of this page.", "Manage options", "Accept all", "Reject all"],
    "de": ["Datenschutzeinstellungen", "Wir verwenden Cookies und ähnliche Technologien auf unserer Website und "
           "verarbeiten personenbezogene Daten von Ihnen, um Inhalte und Anzeigen zu personalisieren und Medien "
           "von Drittanbietern einzubinden.", "Mit Klick auf „Alle akzeptieren“ willigen Sie in die Verarbeitung "
           "ein. Ihre Einwilligung können Sie jederzeit in den Einstellungen widerrufen.", "Alle akzeptieren",
           "Nur notwendige Cookies", "Einstellungen"],
    "es": ["Configuración de cookies", "Utilizamos cookies propias y de terceros para mejorar nuestros servicios y "
           "mostrarle publicidad relacionada con sus preferencias mediante el análisis de sus hábitos de navegación.",
           "Si continúa navegando, consideramos que acepta su uso. Puede cambiar la configuración u obtener más "
           "información en nuestra política de cookies.", "Aceptar", "Rechazar"],
    "fr": ["Paramètres des cookies", "Nous utilisons des cookies pour vous offrir la meilleure expérience sur notre "
           "site, mesurer l'audience et vous proposer des publicités adaptées à vos centres d'intérêt.",
           "En cliquant sur « Tout accepter », vous consentez à l'utilisation de ces cookies. Vous pouvez modifier "
           "vos choix à tout moment.", "Tout accepter", "Continuer sans accepter"],
    "ar": ["إعدادات ملفات تعريف الارتباط", "نستخدم ملفات تعريف الارتباط لتحسين تجربتك على موقعنا وتحليل حركة "
           "الزوار وتقديم محتوى وإعلانات تناسب اهتماماتك.", "بالنقر على موافق فإنك توافق على استخدامنا لملفات تعريف "
           "الارتباط وفق سياسة الخصوصية الخاصة بنا.", "موافق", "رفض"],
}
NEWSLETTER = {
    "en": ["Get our morning briefing", "Join thousands of readers who start their day with the stories that matter, "
           "sent straight to your inbox before breakfast. It is free and you can unsubscribe whenever you like.",
           "Enter your email", "Sign me up", "By signing up you agree to our privacy policy."],
    "de": ["Unser Newsletter", "Jeden Morgen die wichtigsten Nachrichten des Tages direkt in Ihr Postfach, kostenlos "
           "und jederzeit abbestellbar. Melden Sie sich jetzt an und verpassen Sie nichts mehr.",
           "Ihre E-Mail-Adresse", "Jetzt anmelden", "Mit der Anmeldung akzeptieren Sie unsere Datenschutzerklärung."],
    "es": ["Suscríbete a nuestro boletín", "Recibe cada mañana en tu correo las noticias más importantes del día. Es "
           "gratis y puedes darte de baja cuando quieras.", "Tu correo electrónico", "Suscribirme"],
    "fr": ["Inscrivez-vous à notre newsletter", "Recevez chaque matin l'essentiel de l'actualité directement dans "
           "votre boîte mail. C'est gratuit et vous pouvez vous désabonner à tout moment.", "Votre adresse e-mail",
           "Je m'inscris"],
    "ar": ["اشترك في النشرة البريدية", "احصل على أهم الأخبار يوميا مباشرة في بريدك الإلكتروني مجانا ويمكنك إلغاء "
           "الاشتراك في أي وقت.", "بريدك الإلكتروني", "اشترك الآن"],
}
COMMENT_WORDS = {
    "en": ("Reply", "comments", ["Great article, thanks for sharing this.", "I don't agree with the last part at all.",
           "Does anyone know when this starts?", "This is exactly what we have been saying for years!"]),
    "de": ("Antworten", "Kommentare", ["Sehr guter Artikel, danke dafür.", "Da bin ich ganz anderer Meinung.",
           "Weiß jemand, wann das losgeht?", "Das sagen wir doch schon seit Jahren!"]),
    "es": ("Responder", "comentarios", ["Muy buen artículo, gracias.", "No estoy de acuerdo con la última parte.",
           "¿Alguien sabe cuándo empieza?", "¡Esto es lo que venimos diciendo hace años!"]),
    "fr": ("Répondre", "commentaires", ["Très bon article, merci.", "Je ne suis pas du tout d'accord avec la fin.",
           "Quelqu'un sait quand ça commence ?", "C'est ce qu'on dit depuis des années !"]),
    "ar": ("رد", "التعليقات", ["مقال رائع شكرا لكم.", "لا أتفق مع الجزء الأخير.", "هل يعرف أحد متى يبدأ ذلك؟",
           "هذا ما نقوله منذ سنوات!"]),
}
NAMES = ["Anna M.", "jens_k", "Carlos R.", "Marie", "Ahmed", "peter1970", "Lucía G.", "T. Becker"]


def _comments(language: str, rng: random.Random) -> list[str]:
    reply, header, opinions = COMMENT_WORDS.get(language, COMMENT_WORDS["en"])
    lines = [f"{rng.randint(2, 40)} {header}"]
    for _ in range(rng.randint(3, 6)):
        lines += [rng.choice(NAMES), f"{rng.randint(1, 28)}.{rng.randint(1, 12)}.2023 {rng.randint(7, 22)}:{rng.randint(10, 59)}",
                  rng.choice(opinions), reply]
    return lines


def _related(lines: list[str], rng: random.Random) -> list[str]:
    """A list of headlines: short lines of other pages of the corpus (their non-body, title-like lines)."""
    pool = [line for line in lines if 25 <= len(line) <= 90 and not line.endswith(".")]
    return rng.sample(pool, min(len(pool), rng.randint(4, 8)))


def augmented(lines: list[str], body: list[bool], language: str | None, headline_pool: list[str],
              rng: random.Random) -> tuple[list[str], list[bool]] | None:
    """The page's lines with one boilerplate block inserted near its article, or None when it has no body."""
    positions = [i for i, keep in enumerate(body) if keep]
    if not positions:
        return None
    language = language if language in CONSENT else "en"
    kind = rng.choice(["consent", "newsletter", "comments", "related"])
    block = {"consent": lambda: CONSENT[language], "newsletter": lambda: NEWSLETTER[language],
             "comments": lambda: _comments(language, rng), "related": lambda: _related(headline_pool, rng)}[kind]()
    if not block:
        return None
    where = rng.choice(["before", "after", "end"])
    at = {"before": positions[0], "after": positions[-1] + 1, "end": len(lines)}[where]
    return lines[:at] + list(block) + lines[at:], body[:at] + [False] * len(block) + body[at:]
