// One referral: its needs diagnosis, its status, the reserved device, where to collect it and why;
// withdrawing it after a confirmation (allocation's 409 shown if it is refused).
import { ApiError, api } from "/portal/static/js/api.js";
import { el, notify, show } from "/portal/static/js/dom.js";
import { date } from "/portal/static/js/format.js";
import { bindForm } from "/portal/static/js/forms.js";
import { t } from "/portal/static/js/i18n.js";
import { startPage } from "/portal/static/js/page.js";
import {
  collectAt, deviceType, grade, requirementsText, statusBadge, whyThisDevice,
} from "/portal/static/js/pages/referrer/explain.js";

const OPEN = ["waiting", "reserved"];

function facts(...pairs) {
  return el("dl", { class: "facts" }, pairs.filter(Boolean).flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]));
}

function needsSection(referral) {
  const uses = referral.needs.uses.map((use) => t(`referrer.use.${use}`)).join(", ");
  return el("section", { class: "card", "aria-labelledby": "needs-heading" },
    el("h2", { id: "needs-heading" }, t("referrer.referral.needs")),
    facts(
      [t("referrer.referral.reference"), referral.beneficiary_ref || t("referrer.list.forgotten")],
      [t("referrer.referral.category"), t(`referrer.category.${referral.category}.label`)],
      [t("referrer.referral.eligibility_proof_ref"), referral.eligibility_proof_ref || "—"],
      referral.commune && [t("referrer.referral.commune"), referral.commune],
      [t("referrer.referral.uses"), uses || t("referrer.referral.none")],
      [t("referrer.referral.requirements"), requirementsText(referral.needs.requirements) || t("referrer.referral.none")],
      [t("referrer.referral.accompaniment"), t(referral.accompaniment_wanted ? "referrer.referral.yes" : "referrer.referral.no")],
      [t("referrer.referral.priority"), t(`referrer.priority.${referral.priority}`)],
    ));
}

function reservationSection(reservation) {
  const section = el("section", { class: "card", "aria-labelledby": "reservation-heading" },
    el("h2", { id: "reservation-heading" }, t("referrer.reservation.title")));
  if (reservation.status === "released") {
    const reason = t(`referrer.reservation.released_because.${reservation.released_because}`);
    section.append(el("p", {}, t("referrer.reservation.released", { date: date(reservation.released_at), reason })));
  }
  section.append(facts(
    [t("referrer.reservation.device"), deviceType(reservation.device.device_type)],
    [t("referrer.reservation.grade"), grade(reservation.device.grade)],
    reservation.status !== "released" && [t("referrer.reservation.collect"), collectAt(reservation.collect_at)],
    reservation.status === "active" && [t("referrer.reservation.held_until"), date(reservation.held_until)],
    reservation.sold_at && [t("referrer.reservation.sold_at"), date(reservation.sold_at)],
  ));
  if (reservation.status === "active") section.append(el("p", { class: "hint" }, t("referrer.reservation.held_until_text")));
  section.append(el("h3", {}, t("referrer.reservation.why")), ...whyThisDevice(reservation.matching));
  return section;
}

function render(referral) {
  const container = document.getElementById("referral");
  const reference = referral.beneficiary_ref || t("referrer.list.forgotten");
  document.getElementById("page-title").textContent = `${t("referrer.referral.title")} ${reference}`;
  const status = el("section", { class: "card", "aria-labelledby": "status-heading" },
    el("h2", { id: "status-heading" }, t("referrer.referral.status")),
    el("p", {}, statusBadge(referral.status)),
    facts(
      [t("referrer.referral.created"), date(referral.created_at)],
      referral.closed_at && [t("referrer.referral.closed_at"), date(referral.closed_at)],
      referral.closed_because && [t("referrer.referral.closed_because"), referral.closed_because],
    ));
  if (referral.status === "waiting") status.append(el("p", {}, t("referrer.referral.waiting_text")));
  show(container, status, referral.reservation ? reservationSection(referral.reservation) : null, needsSection(referral));
  document.getElementById("cancel-section").hidden = !OPEN.includes(referral.status);
}

startPage(async ({ params }) => {
  const path = `/allocation/referrals/${encodeURIComponent(params.referralId)}`;
  render(await api.get(path));
  if (new URLSearchParams(location.search).get("nouvelle")) notify(t("referrer.new.done"), "success");

  const opener = document.getElementById("cancel-open");
  const form = document.getElementById("cancel-form");
  const toggle = (open) => {
    form.hidden = !open;
    opener.hidden = open;
    opener.setAttribute("aria-expanded", String(open));
    (open ? document.getElementById("cancel-reason") : opener).focus();
  };
  opener.addEventListener("click", () => toggle(true));
  document.getElementById("cancel-keep").addEventListener("click", () => toggle(false));
  bindForm(form, async (values) => {
    let cancelled;
    try {
      cancelled = await api.post(`${path}/cancellation`, values, { idempotent: true });
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 409) throw error;
      // closed meanwhile (by a colleague, a sale, the expiry): say so, and show it as it is now
      render(await api.get(path));
      document.getElementById("cancel-section").hidden = false;
      throw new ApiError(409, { message: t("referrer.cancel.refused") });
    }
    render(cancelled);
    form.reset();
    form.hidden = true;
    opener.hidden = false;
    notify(t("referrer.cancel.done"), "success");
    document.getElementById("status-heading").setAttribute("tabindex", "-1");
    document.getElementById("status-heading").focus();
  });
});
