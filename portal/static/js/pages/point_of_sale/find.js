// "Trouver un appareil": the label's code, typed or read from its QR code, gives the reserved
// device and its price (GET /sales/quotes/by-label/{code}), and the way to sell it.
import { ApiError, api } from "/portal/static/js/api.js";
import { clear, el, show } from "/portal/static/js/dom.js";
import { bindForm } from "/portal/static/js/forms.js";
import { t } from "/portal/static/js/i18n.js";
import { startPage } from "/portal/static/js/page.js";
import { missing, quoteFacts, refuseIn } from "./describe.js";

const LABEL = /^SV[\s-]?[0-9A-Z]{4}[\s-]?[0-9A-Z]{4}$/i;
const SCAN_EVERY_MS = 250;

/** The label code a QR code holds: the passport URL …/portal/d/<code>, or the bare code. */
export function codeFromQr(raw) {
  const text = String(raw || "").trim();
  if (LABEL.test(text)) return text;
  try {
    const match = new URL(text).pathname.match(/\/portal\/d\/([^/]+)\/?$/);
    return match ? decodeURIComponent(match[1]) : null;
  } catch {
    return null;
  }
}

function showQuote(quote) {
  const heading = el("h2", { id: "quote-heading", tabindex: "-1" }, t("point_of_sale.quote.heading"));
  show(document.getElementById("quote"), el("div", { class: "card" },
    heading,
    quoteFacts(quote),
    el("div", { class: "actions" }, el("a", {
      class: "button", id: "sell-link",
      href: `/portal/point-de-vente/vendre/${encodeURIComponent(quote.device_id)}`,
    }, t("point_of_sale.find.sell")))));
  heading.focus();
}

async function find(form, code) {
  clear(document.getElementById("quote"));
  if (!code) throw missing("label_code", t("point_of_sale.find.missing"));
  try {
    showQuote(await api.get(`/sales/quotes/by-label/${encodeURIComponent(code)}`));
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
    refuseIn(form, t("point_of_sale.find.not_found", { code: code.toUpperCase() }));
  }
}

/** The camera button, only where the browser can both film and read a QR code. */
function setUpScanner(form) {
  if (!("BarcodeDetector" in window) || typeof navigator.mediaDevices?.getUserMedia !== "function") return;
  const start = document.getElementById("scan-start");
  const stop = document.getElementById("scan-stop");
  const box = document.getElementById("scanner");
  const video = document.getElementById("scanner-video");
  const input = document.getElementById("label-code");
  let stream = null;
  let timer = null;

  const end = () => {
    clearTimeout(timer);
    stream?.getTracks().forEach((track) => track.stop());
    stream = null;
    video.srcObject = null;
    box.hidden = true;
    start.hidden = false;
  };

  const look = async (detector) => {
    if (!stream) return;
    const found = await detector.detect(video).catch(() => []);
    if (!found.length) {
      timer = setTimeout(() => look(detector), SCAN_EVERY_MS);
      return;
    }
    end();
    const code = codeFromQr(found[0].rawValue);
    if (!code) {
      refuseIn(form, t("point_of_sale.find.scan_not_ours"));
      start.focus();
      return;
    }
    input.value = code;
    form.requestSubmit();
  };

  start.hidden = false;
  start.addEventListener("click", async () => {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch {
      refuseIn(form, t("point_of_sale.find.scan_refused"));
      return;
    }
    video.srcObject = stream;
    box.hidden = false;
    start.hidden = true;
    await video.play().catch(() => {});
    stop.focus();
    look(new BarcodeDetector({ formats: ["qr_code"] }));
  });
  stop.addEventListener("click", () => {
    end();
    start.focus();
  });
}

startPage(async () => {
  const form = document.getElementById("find-form");
  bindForm(form, async ({ label_code: code }) => find(form, code));
  setUpScanner(form);
  document.getElementById("label-code").focus();
});
