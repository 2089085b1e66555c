#!/usr/bin/env bash
# The website's widget in a real browser: headless Chromium, driven by Selenium, against
# `helpline serve` on a free loopback port. A person submits the callback form; a person types a
# number in the wrong format and the browser's own pattern check stops the form; a bot fills the
# honeypot and gets the same thank-you page with nothing queued; the banner and the advertisers on
# the page equal `helpline stats --json` and `helpline disclosure`; a provider named like a script
# tag is shown as text. With --out, the screenshots at 360 px and 1280 px are kept there.
#
#   Scripts/widget-e2e.sh [--out DIR]
#
# Installs Debian's chromium and chromium-driver and PyPI's selenium when missing. Every process it
# starts is stopped by its PID on every exit path.
set -euo pipefail
out=""
keep_shots=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=${2:?--out needs a folder}; keep_shots=1; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "widget-e2e: unknown option $1 (see --help)" >&2; exit 64 ;;
  esac
done
cd "$(dirname "$0")/.."
Scripts/install-deps.sh chromium chromium-driver >/dev/null
python3 -c "import selenium" 2>/dev/null || pip install -q selenium >/dev/null 2>&1 || { echo "widget-e2e: cannot install selenium" >&2; exit 1; }
work=$(mktemp -d)
[ -n "$out" ] || out="$work/shots"
mkdir -p "$out"
server=""
cleanup() {
  local code=$?
  [ -n "$server" ] && kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null
  if [ "$code" != 0 ]; then echo "widget-e2e: logs in $work" >&2; else rm -rf "$work"; fi
  exit "$code"
}
trap cleanup EXIT
trap 'exit 143' TERM INT
swift build --product helpline >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
hl="$(swift build --show-bin-path)/helpline"
export HELPLINE_DB="$work/widget.sqlite" HELPLINE_TZ=America/New_York
"$hl" demo --db "$HELPLINE_DB" >/dev/null
"$hl" provider add --name "<script>alert(1)</script> Recovery" --phone 3035550199 >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
HELPLINE_API_TOKEN="widget-e2e-$RANDOM" timeout 300 "$hl" serve --listen "127.0.0.1:$port" --public-url "http://127.0.0.1:$port" \
  2>"$work/serve.log" &
server=$!
for _ in $(seq 1 100); do grep -q listening "$work/serve.log" 2>/dev/null && break; sleep 0.1; done
"$hl" stats --json >"$work/stats.json"
"$hl" disclosure >"$work/disclosure.txt"
timeout 180 python3 - "$port" "$HELPLINE_DB" "$work" "$out" <<'PY'
import json, sqlite3, sys
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

port, db, work, out = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
base = f"http://127.0.0.1:{port}"
def fail(message):
    print(f"widget-e2e: FAILED: {message}", file=sys.stderr)
    sys.exit(1)
def queued():
    with sqlite3.connect(db) as c:
        return c.execute("SELECT count(*) FROM callbacks WHERE reason = 'web-form'").fetchone()[0]
def consents():
    with sqlite3.connect(db) as c:
        return c.execute("SELECT count(*) FROM consent_records WHERE mechanism = 'web-form'").fetchone()[0]

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]:
    options.add_argument(flag)
# Debian's driver, named outright: Selenium would otherwise try to download one.
browser = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path="/usr/bin/chromedriver"))
def submitted():
    # click() returns before the answer has loaded: wait for the form's page to be the one shown.
    WebDriverWait(browser, 10).until(lambda b: b.current_url.endswith("/v1/callbacks") and b.execute_script("return document.readyState") == "complete")
try:
    browser.set_window_size(1280, 900)
    browser.get(base + "/widget")
    alerts = browser.execute_script("return typeof window.alertCalled")
    stats = json.load(open(f"{work}/stats.json"))
    banner = browser.find_elements(By.CSS_SELECTOR, ".banner")
    if stats.get("banner"):
        if not banner or banner[0].text != stats["banner"]:
            fail(f"banner {banner[0].text if banner else None!r} differs from helpline stats {stats['banner']!r}")
    elif banner:
        fail("a withheld banner is shown")
    disclosure = open(f"{work}/disclosure.txt").read().strip()
    where = browser.find_element(By.CSS_SELECTOR, ".where").text
    for name in ["ARK Behavioral Health", "<script>alert(1)</script> Recovery"]:
        if name not in disclosure or name not in where:
            fail(f"advertiser {name!r} missing from the page or the CLI's disclosure")
    if browser.find_elements(By.TAG_NAME, "script"):
        fail("a script element reached the page")
    # WCAG AA: every visible text at least 4.5:1 against its background, as the browser computes them.
    worst = browser.execute_script("""
        const rgb = s => s.match(/[\\d.]+/g).map(Number);
        const lum = c => { const v = c.slice(0, 3).map(x => { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
                           return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
        const background = el => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor);
                                   if (c.length < 4 || c[3] > 0) return c; } return [255, 255, 255]; };
        let worst = [99, ""];
        for (const el of document.querySelectorAll("h2, p, a, label, button")) {
            if (!el.offsetParent || el.closest(".hp")) continue;
            const a = lum(rgb(getComputedStyle(el).color)), b = lum(background(el));
            const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
            if (ratio < worst[0]) worst = [ratio, el.tagName + " " + el.textContent.slice(0, 30)];
        }
        return worst;""")
    if worst[0] < 4.5:
        fail(f"contrast {worst[0]:.2f}:1 for {worst[1]!r} is under WCAG AA's 4.5:1")
    print(f"widget-e2e: lowest text contrast {worst[0]:.1f}:1 ({worst[1].strip()})")
    browser.save_screenshot(f"{out}/widget-1280.png")
    browser.set_window_size(360, 900)
    browser.get(base + "/widget")
    browser.save_screenshot(f"{out}/widget-360.png")
    width = browser.execute_script("return document.documentElement.scrollWidth")
    if width > 360:
        fail(f"the page is {width} px wide at 360 px: it scrolls sideways")

    # A person, keyboard only: the first Tab stops are the number's link, then the phone field.
    browser.set_window_size(1280, 900)
    browser.get(base + "/widget")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    first = browser.switch_to.active_element.get_attribute("href")
    body = browser.switch_to.active_element
    body.send_keys(Keys.TAB)
    second = browser.switch_to.active_element.get_attribute("id")
    if not (first or "").startswith("tel:") or second != "phone":
        fail(f"keyboard order: {first!r} then {second!r}, expected the tel: link then the phone field")

    # Wrong format: the browser's own pattern check stops it; nothing is queued.
    before = queued()
    field = browser.find_element(By.ID, "phone")
    field.send_keys("2125550142")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    if not browser.current_url.endswith("/widget") or queued() != before:
        fail("a number in the wrong format was submitted")
    if browser.execute_script("return document.getElementById('phone').validity.patternMismatch") is not True:
        fail("the phone field's pattern did not refuse 2125550142")

    # The right format: the thank-you page, one callback queued with its consent record.
    consent_before = consents()
    field = browser.find_element(By.ID, "phone")
    field.clear()
    field.send_keys("(212) 555-0142")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    submitted()
    person_page = browser.page_source
    if "Thank you, a provider will call you back" not in browser.find_element(By.TAG_NAME, "body").text:
        fail("no thank-you page after a valid submission")
    if queued() != before + 1 or consents() != consent_before + 1:
        fail("the valid request did not queue one callback with its consent record")

    # A bot fills the hidden honeypot (people can't see it) and submits: same page, nothing queued.
    browser.get(base + "/widget")
    hp = browser.find_element(By.ID, "website")
    if hp.is_displayed():
        fail("the honeypot is visible")
    browser.execute_script("document.getElementById('website').value = 'http://spam.example'")
    browser.find_element(By.ID, "phone").send_keys("(212) 555-0143")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    submitted()
    if browser.page_source != person_page:
        fail(f"the bot's page differs from the person's: {browser.find_element(By.TAG_NAME, 'body').text!r}")
    if queued() != before + 1:
        fail("the bot's request was queued")
finally:
    browser.quit()
print("widget-e2e: passed")
PY
if [ "$keep_shots" = 1 ]; then echo "widget-e2e: screenshots in $out"; fi
