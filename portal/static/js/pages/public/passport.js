// The device's public passport, for anyone who scanned its label: no session, no token.
import { el, show } from "/portal/static/js/dom.js";
import { date } from "/portal/static/js/format.js";
import { t } from "/portal/static/js/i18n.js";
import { startPage } from "/portal/static/js/page.js";

/** The passport as intake's public route gives it; null for a label nobody carries. */
async function readPassport(labelCode) {
  // Not api.get: that one sends a person's token, and sends a visitor without one to log in.
  const response = await fetch(`/intake/passport/${encodeURIComponent(labelCode)}`, {
    headers: { Accept: "application/json" }, credentials: "omit",
  });
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(String(response.status));
  return response.json();
}

function titled(key) {
  document.getElementById("page-title").textContent = t(key);
  document.title = `${t(key)} — ${t("common.site.name")}`;
}

function erasure(passport) {
  if (!passport.erasure) {
    return t(passport.outcome === "recycled" ? "public.erasure.not_refurbished" : "public.erasure.not_yet");
  }
  const levels = passport.erasure.levels.map((level) => t(`public.erasure.level.${level}`)).join(", ");
  return t("public.erasure.done", {
    date: date(passport.erasure.completed_on), standard: passport.erasure.standard, levels,
  });
}

function showPassport(passport) {
  show(document.getElementById("passport-code"), t("public.passport.code", { code: passport.label_code }));
  show(document.getElementById("passport-device"),
    t("public.passport.device_text", {
      make: passport.make, model: passport.model, type: t(`public.device_type.${passport.device_type}`),
    }));
  show(document.getElementById("passport-grade"), passport.grade
    ? [el("span", { class: "passport-grade" }, t("public.grade.name", { grade: passport.grade })), " — ",
      t(`public.grade.meaning.${passport.grade}`)]
    : t(passport.outcome === "recycled" ? "public.grade.none" : "public.grade.not_yet"));
  show(document.getElementById("passport-erasure"), erasure(passport));
  show(document.getElementById("passport-outcome"), t(`public.outcome.${passport.outcome}`));
  document.getElementById("passport").hidden = false;
}

function showUnknown(labelCode) {
  titled("public.unknown.title");
  show(document.getElementById("passport-unknown-text"), t("public.unknown.text", { code: labelCode }));
  document.getElementById("passport-unknown").hidden = false;
  const form = document.getElementById("passport-search");
  const input = document.getElementById("passport-search-code");
  input.value = labelCode;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    // "sv 7k2m q9tx" as copied by hand: intake reads it as SV-7K2M-Q9TX; spaces would only clutter the address.
    const typed = input.value.trim().replace(/\s+/g, "-");
    if (typed) location.assign(`/portal/d/${encodeURIComponent(typed)}`);
  });
}

/** The code as it stands in the address (the page receives it still percent-encoded). */
function codeInAddress(raw) {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

startPage(async ({ params }) => {
  const loading = document.getElementById("passport-loading");
  const labelCode = codeInAddress(params.labelCode);
  try {
    const passport = await readPassport(labelCode);
    if (passport) showPassport(passport);
    else showUnknown(labelCode);
  } finally {
    loading.remove();
  }
});
