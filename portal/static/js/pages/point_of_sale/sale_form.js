// "Enregistrer la vente": the quote again, then the payments, split between methods as the
// buyer pays (POST /sales/sales). The total must be the price: said while typing, checked
// before sending; the API's refusals show next to the amount they name or above the form.
import { api } from "/portal/static/js/api.js";
import { clear, el, show } from "/portal/static/js/dom.js";
import { describeError, bindForm } from "/portal/static/js/forms.js";
import { euros } from "/portal/static/js/format.js";
import { t } from "/portal/static/js/i18n.js";
import { startPage } from "/portal/static/js/page.js";
import { cents, quoteFacts, refuseIn } from "./describe.js";

const METHODS = ["cash", "card", "cheque", "third_party"];

function paymentLine(index, { method = "cash", amount = "" }, removable) {
  const n = index + 1;
  return el("div", { class: "payment-line", dataset: { index: String(index) } },
    el("div", { class: "field" },
      el("label", { for: `payment-method-${n}` }, t("point_of_sale.sale_form.method", { n })),
      el("select", { id: `payment-method-${n}`, name: `payments.${index}.method` },
        METHODS.map((code) => el("option", { value: code, selected: code === method },
          t(`point_of_sale.methods.${code}`))))),
    el("div", { class: "field" },
      el("label", { for: `payment-amount-${n}` }, t("point_of_sale.sale_form.amount", { n })),
      el("input", { id: `payment-amount-${n}`, name: `payments.${index}.amount_eur`, type: "text",
        inputmode: "decimal", autocomplete: "off", value: amount, required: true })),
    removable ? el("button", { type: "button", class: "button-secondary remove-payment",
      dataset: { index: String(index) } }, t("point_of_sale.sale_form.remove_payment", { n })) : null);
}

/** What the lines hold now: kept when a line is added or removed. */
function currentLines(container) {
  return [...container.querySelectorAll(".payment-line")].map((line) => ({
    method: line.querySelector("select").value,
    amount: line.querySelector("input").value,
  }));
}

function renderLines(container, lines) {
  show(container, lines.map((line, index) => paymentLine(index, line, lines.length > 1)));
}

function totalSentence(container, priceCents) {
  const typed = currentLines(container).map((line) => cents(line.amount));
  const total = typed.reduce((sum, value) => sum + (Number.isNaN(value) ? 0 : value), 0);
  const sentence = [t("point_of_sale.sale_form.total", { total: euros(total, { cents: true }),
    price: euros(priceCents, { cents: true }) })];
  if (total < priceCents) sentence.push(t("point_of_sale.sale_form.remaining", { amount: euros(priceCents - total, { cents: true }) }));
  else if (total > priceCents) sentence.push(t("point_of_sale.sale_form.over", { amount: euros(total - priceCents, { cents: true }) }));
  else sentence.push(t("point_of_sale.sale_form.balanced"));
  return { total, typed, text: sentence.join(" ") };
}

/** The body of POST /sales: amounts as the API's decimal text; an amount that is none goes as typed (422). */
function saleBody(deviceId, container) {
  return {
    device_id: deviceId,
    payments: currentLines(container).map((line) => {
      const value = cents(line.amount);
      return { method: line.method, amount_eur: Number.isNaN(value) ? line.amount : (value / 100).toFixed(2) };
    }),
  };
}

startPage(async ({ params }) => {
  const deviceId = params.deviceId;
  const factsBox = document.getElementById("quote-facts");
  const form = document.getElementById("sale-form");
  let quote;
  try {
    quote = await api.get(`/sales/quotes/${encodeURIComponent(deviceId)}`);
  } catch (error) {
    show(factsBox, el("p", { class: "notice-error" }, describeError(error)),
      el("p", {}, el("a", { href: "/portal/point-de-vente" }, t("point_of_sale.find.title"))));
    form.hidden = true;
    return;
  }
  show(factsBox, quoteFacts(quote));
  const priceCents = cents(quote.price_eur);
  const container = document.getElementById("payment-lines");
  const totalBox = document.getElementById("payment-total");
  const refresh = () => { totalBox.textContent = totalSentence(container, priceCents).text; };

  renderLines(container, [{ method: "cash", amount: (priceCents / 100).toFixed(2).replace(".", ",") }]);
  refresh();
  form.addEventListener("input", (event) => {
    refresh();
    // an amount being corrected no longer carries the refusal it had
    if (event.target.getAttribute("aria-invalid") === "true") {
      document.getElementById(`${event.target.id}-error`)?.remove();
      event.target.removeAttribute("aria-invalid");
      event.target.removeAttribute("aria-describedby");
      if (!form.querySelector('[aria-invalid="true"]')) clear(form.querySelector('[role="alert"]'));
    }
  });
  document.getElementById("add-payment").addEventListener("click", () => {
    const lines = [...currentLines(container), { method: "card", amount: "" }];
    renderLines(container, lines);
    refresh();
    document.getElementById(`payment-method-${lines.length}`).focus();
  });
  container.addEventListener("click", (event) => {
    const button = event.target.closest(".remove-payment");
    if (!button) return;
    const lines = currentLines(container).filter((_, index) => String(index) !== button.dataset.index);
    renderLines(container, lines);
    refresh();
    document.getElementById(`payment-amount-${Math.min(Number(button.dataset.index) + 1, lines.length)}`).focus();
  });

  bindForm(form, async () => {
    const { total, typed } = totalSentence(container, priceCents);
    if (!typed.some(Number.isNaN) && total !== priceCents) {
      refuseIn(form, t("point_of_sale.sale_form.mismatch", { total: euros(total, { cents: true }),
        price: euros(priceCents, { cents: true }) }));
      return;
    }
    const sale = await api.post("/sales/sales", saleBody(deviceId, container), { idempotent: true });
    location.assign(`/portal/point-de-vente/ventes/${encodeURIComponent(sale.sale_id)}?vente=enregistree`);
  }, { read: () => ({}) });
});
