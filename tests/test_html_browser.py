"""The generated HTML pages in a real browser: headless Chromium (Debian's ``chromium``), driven through the
DevTools protocol over a pipe (``--remote-debugging-pipe``: no port, no websocket library, no driver
download). Each page is loaded from a file; the tests check that hovering, tapping (click) or tabbing to
an English sentence highlights exactly its Chinese source span, that nothing but the page itself was
requested, that a narrow screen needs no sideways scrolling, and save screenshots under ``out/``.

Without Chromium these tests are skipped with the install command as the reason (``.ci/run`` installs
it and sets ``REGIOQA_REQUIRE_BROWSER=1``, which turns the skip into a failure).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from regioqa.corpus import load_corpus
from regioqa.render.answers import write_answers_html
from regioqa.render.digest import write_digest_html
from regioqa.summarize import Summarizer
from regioqa.types import Article, Summary, SummarySentence

DATA = Path(__file__).parent / "data"
OUT = Path(__file__).parent.parent / "out" / "html"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")

pytestmark = pytest.mark.slow


class Browser:
    """A minimal DevTools-protocol client over Chromium's ``--remote-debugging-pipe`` (fds 3 and 4)."""

    def __init__(self, binary: str, profile: Path) -> None:
        to_chrome_r, self._w = os.pipe()
        self._r, from_chrome_w = os.pipe()
        # Chromium reads fd 3 and writes fd 4; the shell puts the pipe ends there (numbers >= 10 first,
        # so that the two redirections cannot overwrite each other)
        r, w = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10), fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
        args = [binary, "--headless=new", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-default-apps",
                "--disable-extensions", "--mute-audio", "--hide-scrollbars", f"--user-data-dir={profile}",
                "--force-device-scale-factor=1", "about:blank"]
        self.proc = subprocess.Popen(["bash", "-c", f'exec "$@" 3<&{r} 4>&{w} {r}<&- {w}>&-', "bash", *args],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, pass_fds=(r, w))
        for fd in (to_chrome_r, from_chrome_w, r, w):
            os.close(fd)
        self._buf = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None

    def _read(self, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buf:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("chromium stopped answering")
            chunk = os.read(self._r, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method: str, session: bool = True, **params: Any) -> dict[str, Any]:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def open(self, url: str, width: int = 1200, height: int = 900, mobile: bool = False) -> None:
        target = self.send("Target.createTarget", session=False, url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", session=False, targetId=target,
                                 flatten=True)["sessionId"]
        self.send("Network.enable")
        self.send("Page.enable")
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                  mobile=mobile)
        self.events.clear()
        self.send("Page.navigate", url=url)
        deadline = time.monotonic() + 30
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not load")
            self.events.append(self._read())

    def js(self, expr: str) -> Any:
        r = self.send("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expr}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def requested(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events
                if e.get("method") == "Network.requestWillBeSent"]

    def mouse(self, kind: str, x: float, y: float) -> None:
        self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left" if kind != "mouseMoved"
                  else "none", clickCount=1 if kind != "mouseMoved" else 0)

    def tap(self, x: float, y: float) -> None:
        self.send("Emulation.setTouchEmulationEnabled", enabled=True, maxTouchPoints=1)
        self.send("Input.dispatchTouchEvent", type="touchStart", touchPoints=[{"x": x, "y": y}])
        self.send("Input.dispatchTouchEvent", type="touchEnd", touchPoints=[])

    def key(self, key: str, code: int) -> None:
        for kind in ("rawKeyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", type=kind, key=key, code=key, windowsVirtualKeyCode=code)

    def screenshot(self, path: Path, full: bool = False) -> None:
        r = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=full)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(r["data"]))

    def close(self) -> None:
        try:
            self.send("Browser.close", session=False)
        except RuntimeError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self._w)
        os.close(self._r)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    if CHROMIUM is None:
        reason = "headless Chromium not installed (apt-get install -y chromium; .ci/run installs it)"
        if os.environ.get("REGIOQA_REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)
    b = Browser(CHROMIUM, tmp_path_factory.mktemp("chromium-profile"))
    yield b
    b.close()


@pytest.fixture(scope="module")
def digest(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Summary], dict[str, Article]]:
    arts, _ = load_corpus([DATA / "html", DATA / "feeds"])
    summarizer = Summarizer()
    sums = [summarizer.run(a) for a in arts]
    evil = Article(id="evil", title="<script>alert(1)</script>\x1b[31m红色", source="<b>报</b>",
                   text="标题里有脚本。正文第二句。", url="javascript:alert(2)")
    evil_sentence = SummarySentence("正文第二句。", "Body <i>second</i> sentence.", 7, 13)
    sums.append(Summary("evil", evil.title, "<script>alert(3)</script>\x1b[0m", [evil_sentence],
                        "extractive+lexical"))
    by_id = {a.id: a for a in [*arts, evil]}
    path = tmp_path_factory.mktemp("html") / "digest.html"
    write_digest_html(path, sums, by_id)
    return path, sums, by_id


def _center(b: Browser, selector_expr: str) -> tuple[float, float]:
    """Scroll the element into view; the middle of its first line box (a wrapped span's bounding box
    can have nothing of it in its middle)."""
    r = b.js(f"(() => {{ const e = {selector_expr}; e.scrollIntoView({{block: 'center'}}); "
             "const r = e.getClientRects()[0]; return [r.x + r.width / 2, r.y + r.height / 2]; })()")
    return r[0], r[1]


def _highlighted(b: Browser) -> str:
    return b.js("Array.from(document.querySelectorAll('.src.hl')).map(e => e.textContent).join('')")


def test_digest_hover_tap_and_keyboard_highlight_the_source(browser: Browser, digest) -> None:
    path, sums, by_id = digest
    browser.open(path.as_uri(), width=1100, height=760)
    assert browser.js("document.querySelectorAll('nav.toc li').length") == len(sums)
    sents = [(s, x) for s in sums for x in s.sentences]
    n = browser.js("document.querySelectorAll('.sent').length")
    assert n == len(sents) and n >= 8
    for i in (0, n // 2, n - 1):  # hover
        x, y = _center(browser, f"document.querySelectorAll('.sent')[{i}]")
        browser.mouse("mouseMoved", x, y)
        assert _highlighted(browser) == sents[i][1].zh
        assert by_id[sents[i][0].article_id].text[sents[i][1].start:sents[i][1].end] == sents[i][1].zh
    browser.js("document.querySelector('#art-1').scrollIntoView()")  # the README's screenshot
    x, y = browser.js("(() => { const r = document.querySelectorAll('.sent')[2].getBoundingClientRect(); "
                      "return [r.x + 20, r.y + 5]; })()")
    browser.mouse("mouseMoved", x, y)
    assert _highlighted(browser) == sents[2][1].zh
    browser.screenshot(OUT / "digest.png")
    x, y = _center(browser, "document.querySelectorAll('.sent')[1]")  # tap / click
    browser.mouse("mousePressed", x, y)
    browser.mouse("mouseReleased", x, y)
    assert _highlighted(browser) == sents[1][1].zh
    browser.js("document.activeElement.blur(); window.scrollTo(0, 0)")
    for _ in range(60):  # keyboard: Tab until an English sentence has the focus
        browser.key("Tab", 9)
        if browser.js("document.activeElement.classList.contains('sent')"):
            break
    k = browser.js("Array.from(document.querySelectorAll('.sent')).indexOf(document.activeElement)")
    assert k >= 0 and _highlighted(browser) == sents[k][1].zh
    # the lexical note is visible, numbers are marked, nothing but the page itself was requested
    assert "lexical gloss" in browser.js("document.querySelector('.note').innerText")
    assert browser.js("document.querySelectorAll('.zh .num').length") > 20
    assert all(u.startswith("file:") for u in browser.requested()), browser.requested()


def test_digest_escapes_titles_and_fits_a_narrow_screen(browser: Browser, digest) -> None:
    path, _, _ = digest
    browser.open(path.as_uri(), width=390, height=844, mobile=True)
    assert browser.js("document.scripts.length") == 1  # only the page's own script ran
    text = browser.js("document.body.innerText")
    assert "<script>alert(1)</script>\\x1b[31m红色" in text and "<script>alert(3)</script>" in text
    assert browser.js("document.querySelectorAll('a[href^=\"javascript\"]').length") == 0
    assert browser.js("document.documentElement.scrollWidth <= window.innerWidth + 1")
    x, y = _center(browser, "document.querySelectorAll('.sent')[2]")
    browser.tap(x, y)
    first = browser.js("document.querySelectorAll('.sent')[2].dataset.src")
    assert _highlighted(browser) and browser.js("document.querySelector('.src.hl').dataset.src") == first
    browser.screenshot(OUT / "digest-narrow.png")
    assert all(u.startswith("file:") for u in browser.requested())


def test_answers_page(browser: Browser, tmp_path: Path) -> None:
    arts, _ = load_corpus([DATA / "html"])
    by_id = {a.id: a for a in arts}
    a = by_id["article"]
    start = a.text.index("86.4亿元")
    sent_start = a.text.index("2023年，全市")
    sent_end = a.text.index("。", start) + 1
    recs = [{"id": "q1", "question": "How much did the city spend on R&D in 2023?",
             "answers": [{"text": "86.4亿元", "score": 4.2, "article_id": "article", "article_title": a.title,
                          "start": start, "end": start + 6, "text_en": "8.64 billion yuan",
                          "sentence": {"article_id": "article", "start": sent_start, "end": sent_end,
                                       "text": a.text[sent_start:sent_end]},
                          "sentence_en": "In 2023 ... reached 8.64 billion yuan ..."}]},
            {"id": "q2", "question": "<img src=x onerror=alert(1)>谁赢了比赛？",
             "answers": [{"is_no_answer": True, "text": "", "score": -1.0, "article_id": "",
                          "article_title": "", "start": 0, "end": 0}]}]
    path = tmp_path / "answers.html"
    write_answers_html(path, recs, by_id)
    browser.open(path.as_uri(), width=1000, height=640)
    assert browser.js("document.querySelector('mark.ans').textContent") == "86.4亿元"
    assert browser.js("document.querySelector('.ctx .sentence').textContent") == a.text[sent_start:sent_end]
    text = browser.js("document.body.innerText")
    assert "2024-03-05" in text and "青山新闻网" in text and "The articles do not answer this." in text
    assert "<img src=x onerror=alert(1)>" in text and browser.js("document.images.length") == 0
    browser.screenshot(OUT / "answers.png")
    assert all(u.startswith("file:") for u in browser.requested())


@pytest.mark.model
def test_ask_questions_html_from_the_command_line(browser: Browser, tmp_path: Path) -> None:
    """``regioqa ask --questions ... --html`` with the trained reader, over an index of the test pages."""
    from typer.testing import CliRunner

    from regioqa.cli import app
    from regioqa.index import Index
    from regioqa.testing import HashingEmbedder

    arts, _ = load_corpus([DATA / "html", DATA / "feeds"])
    Index.build(arts, HashingEmbedder(), show_progress=False).save(tmp_path / "index")
    qs = ["青山市2023年全社会研发经费投入达到多少？", "How many dairy cows does the county have?",
          "北坡县鲜奶产量预计突破多少？"]
    (tmp_path / "q.jsonl").write_text("".join(json.dumps({"id": f"q{i}", "question": q}, ensure_ascii=False)
                                              + "\n" for i, q in enumerate(qs, 1)), encoding="utf-8")
    page = tmp_path / "answers.html"
    r = CliRunner().invoke(app, ["ask", "--questions", str(tmp_path / "q.jsonl"), "--out",
                                 str(tmp_path / "a.jsonl"), "--index", str(tmp_path / "index"), "--translate",
                                 "--set", "retrieve.mode=bm25", "-k", "3", "--html", str(page)])
    assert r.exit_code == 0, r.output
    recs = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()]
    browser.open(page.as_uri(), width=1000, height=760)
    assert browser.js("document.querySelectorAll('.qa').length") == 3
    marks = browser.js("Array.from(document.querySelectorAll('mark.ans')).map(e => e.textContent)")
    assert marks == [a["text"] for rec in recs for a in rec["answers"] if not a["is_no_answer"]]
    assert "86.4亿元" in marks[0]
    text = browser.js("document.body.innerText")
    assert "2024-03-05" in text and "青山新闻网" in text and "Answer in English: 8.64 billion yuan" in text
    assert "lexical gloss" in text
    declined = sum(a["is_no_answer"] for rec in recs for a in rec["answers"])
    assert text.count("The articles do not answer this.") == declined
    browser.screenshot(OUT / "answers-cli.png")
    assert all(u.startswith("file:") for u in browser.requested())
