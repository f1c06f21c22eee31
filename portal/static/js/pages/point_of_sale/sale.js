// One sale, and everything after it: the receipt (PDF), the handover, the accompaniment session
// and its outcome, a warranty claim. Each form shows only when the sale's state allows it; the
// API still decides, and its refusal is shown above the form.
import { api } from "/portal/static/js/api.js";
import { el, notify, show } from "/portal/static/js/dom.js";
import { bindForm, describeError } from "/portal/static/js/forms.js";
import { date, dateTime, euros } from "/portal/static/js/format.js";
import { t } from "/portal/static/js/i18n.js";
import { startPage } from "/portal/static/js/page.js";
import { deviceLine, facts, missing, statusChip, word } from "./describe.js";

function today() {
  const now = new Date();
  return new Date(now.getTime() - now.getTimezoneOffset() * 60_000).toISOString().slice(0, 10);
}

function accompanimentText(sale) {
  if (!sale.accompaniment) return t("point_of_sale.sale.accompaniment_none");
  const booked = t("point_of_sale.sale.accompaniment_booked", {
    centre: sale.accompaniment.social_centre_id, slot: dateTime(sale.accompaniment.slot_starts_at) });
  if (sale.accompaniment_attended === true) return `${booked} — ${t("point_of_sale.sale.attended")}`;
  if (sale.accompaniment_attended === false) return `${booked} — ${t("point_of_sale.sale.missed")}`;
  return booked;
}

function saleFacts(sale) {
  const pairs = [
    [t("point_of_sale.sale.receipt_number"), sale.receipt_number],
    [t("point_of_sale.sale.sold_at"), dateTime(sale.sold_at)],
    [t("point_of_sale.sale.status"), statusChip(sale.status)],
    [t("point_of_sale.sale.device"), deviceLine(sale)],
    [t("point_of_sale.sale.label_code"), sale.label_code || t("point_of_sale.sale.none")],
    [t("point_of_sale.sale.price"), euros(sale.price_eur)],
    [t("point_of_sale.sale.payments"), el("ul", { class: "plain-list" }, sale.payments.map((payment) =>
      el("li", {}, t("point_of_sale.sale.payment_line", {
        method: word("methods", payment.method), amount: euros(payment.amount_eur) }))))],
    [t("point_of_sale.sale.handed_over_on"), date(sale.handed_over_on)],
    [t("point_of_sale.sale.warranty_ends_on"), date(sale.warranty_ends_on)],
    [t("point_of_sale.sale.accompaniment"), accompanimentText(sale)],
  ];
  if (sale.warranty_claims.length) {
    pairs.push([t("point_of_sale.sale.claims"), el("ul", { class: "plain-list" }, sale.warranty_claims.map((claim) =>
      el("li", {}, t("point_of_sale.sale.claim_line", {
        reference: claim.reference, category: word("fault", claim.fault_category), date: date(claim.opened_on) }))))]);
  }
  return facts(pairs);
}

startPage(async ({ params }) => {
  const path = `/sales/sales/${encodeURIComponent(params.saleId)}`;
  const sections = {
    handover: document.getElementById("handover"),
    accompaniment: document.getElementById("accompaniment"),
    warranty: document.getElementById("warranty"),
  };
  const accompanimentForm = document.getElementById("accompaniment-form");
  const outcomeForm = document.getElementById("outcome-form");
  let sale;

  const render = (current) => {
    sale = current;
    show(document.getElementById("sale-facts"), saleFacts(sale));
    document.title = `${t("point_of_sale.sale.title")} ${sale.receipt_number} — ${t("common.site.name")}`;
    sections.handover.hidden = sale.status !== "sold";
    sections.accompaniment.hidden = sale.status === "cancelled";
    outcomeForm.hidden = !sale.accompaniment;
    accompanimentForm.querySelector('button[type="submit"]').textContent =
      t(sale.accompaniment ? "point_of_sale.accompaniment.rebook" : "point_of_sale.accompaniment.submit");
    sections.warranty.hidden = sale.status !== "handed_over";
  };

  /** Posts one step of the sale; the page then shows the sale as it now stands. */
  const step = (form, route, done) => bindForm(form, async (body) => {
    const answer = await api.post(`${path}/${route}`, body, { idempotent: true });
    render(await api.get(path));
    form.reset();
    notify(done(answer), "success");
  });

  render(await api.get(path));
  if (new URLSearchParams(location.search).get("vente") === "enregistree") {
    notify(t("point_of_sale.sale_form.sold", { receipt: sale.receipt_number }), "success");
  }

  document.getElementById("handed-over-on").value = today();
  step(document.getElementById("handover-form"), "handover",
    (answer) => t("point_of_sale.handover.done", { date: date(answer.warranty_ends_on) }));

  bindForm(accompanimentForm, async (values) => {
    // datetime-local has no time zone: the browser's, sent with it (ISO 8601 in UTC).
    const slot = values.slot_starts_at ? new Date(values.slot_starts_at) : null;
    await api.post(`${path}/accompaniment`, {
      ...values, slot_starts_at: slot && !Number.isNaN(slot.getTime()) ? slot.toISOString() : values.slot_starts_at,
    }, { idempotent: true });
    render(await api.get(path));
    accompanimentForm.reset();
    notify(t("point_of_sale.accompaniment.done"), "success");
  });

  bindForm(outcomeForm, async (values) => {
    if (values.attended === undefined) throw missing("attended", t("point_of_sale.outcome.missing"));
    await api.post(`${path}/accompaniment/outcome`, values, { idempotent: true });
    render(await api.get(path));
    outcomeForm.reset();
    notify(t("point_of_sale.outcome.done"), "success");
  });

  step(document.getElementById("warranty-form"), "warranty-claims",
    (answer) => t("point_of_sale.warranty.done", { reference: answer.claim_reference }));

  const receiptAlert = document.getElementById("receipt-alert");
  const receiptPath = `${path}/receipt`;
  document.getElementById("receipt-download").addEventListener("click", async () => {
    try {
      await api.download(receiptPath, `recu-${sale.receipt_number}.pdf`);
      notify(t("point_of_sale.sale.receipt_downloaded"), "success");
    } catch (error) {
      show(receiptAlert, el("p", {}, describeError(error)));
    }
  });
  document.getElementById("receipt-print").addEventListener("click", async () => {
    try {
      await api.open(receiptPath);
    } catch (error) {
      show(receiptAlert, el("p", {}, describeError(error)));
    }
  });
});
