// One work order: the device, the step to record now (only what the refurb service allows:
// `allowed_steps`), every step of its route with what each recorded, and scrapping. After a
// step the page shows the work order the service answered; a step that another tab or person
// recorded first is a 409, said plainly, with the current state one click away.
import { api, ApiError } from "/portal/static/js/api.js";
import { el, notify, show } from "/portal/static/js/dom.js";
import { bindForm } from "/portal/static/js/forms.js";
import { date, dateTime } from "/portal/static/js/format.js";
import { t } from "/portal/static/js/i18n.js";
import { startPage } from "/portal/static/js/page.js";
import { recordOf, scrapRecord } from "/portal/static/js/pages/workshop/records.js";
import { formFor, scrapForm } from "/portal/static/js/pages/workshop/step_forms.js";

function specsText(specs) {
  const drives = specs.drives.map((d) => `${t(`workshop.drive_kind.${d.kind}`)} ${d.size_gb} Go`).join(", ");
  return t("workshop.order.device.declared_specs", { ram: specs.ram_gb, drives });
}

function deviceFacts(order) {
  const facts = [
    ["workshop.order.device.label_code", order.label_code || t("workshop.queue.no_label")],
    ["workshop.order.device.model", [order.make, order.model].filter(Boolean).join(" ") || "—"],
    ["workshop.order.device.serial", order.serial_number || "—"],
    ["workshop.order.device.type", t(`workshop.device_type.${order.device_type}`)],
    ["workshop.order.device.status", el("span", { class: "status", id: "wo-status", dataset: { status: order.status } },
      t(`workshop.status.${order.status}`))],
    ["workshop.order.device.received", date(order.opened_at)],
    ["workshop.order.device.declared", specsText(order.declared_specs)],
  ];
  if (order.kind === "warranty") facts.push(["workshop.order.device.kind", t("workshop.order.device.warranty", { cycle: order.cycle })]);
  return facts.flatMap(([key, value]) => [el("dt", {}, t(key)), el("dd", {}, value)]);
}

function stepItem(progress, order) {
  const state = progress.state === "done"
    ? t("workshop.order.steps.done", { date: dateTime(progress.done_at) })
    : t(`workshop.order.steps.${progress.state}`);
  return el("li", { class: `step step-${progress.state}`, "aria-current": progress.state === "due" ? "step" : null,
    dataset: { step: progress.step, state: progress.state } },
  el("h3", {}, t(`workshop.step.${progress.step}`)),
  el("p", { class: "step-state" }, state),
  progress.state === "done" ? recordOf(progress.step, order) : null);
}

startPage(async ({ params }) => {
  const path = `/refurb/work-orders/${encodeURIComponent(params.deviceId)}`;
  const heading = document.getElementById("wo-current-heading");
  let shown = null; // the work order as the page shows it

  async function conflict(form) {
    // Another tab or person moved the work order on, or the step is refused in its state.
    const now = await api.get(path).catch(() => null);
    const status = now ? t(`workshop.status.${now.status}`) : "—";
    const changed = now && (now.status !== shown.status || now.version !== shown.version);
    const reload = el("button", { type: "button", class: "button-secondary", id: "wo-reload" }, t("workshop.order.reload"));
    reload.addEventListener("click", () => render(now || shown, { focus: heading }));
    const message = el("p", { tabindex: "-1" },
      t(changed ? "workshop.order.conflict" : "workshop.order.conflict_refused", { status }));
    show(form.querySelector('[role="alert"]'), message, el("div", { class: "actions" }, reload));
    message.focus();
  }

  function bind(form, read, step) {
    // A draft belongs to the work order as it was shown: once a step is recorded the form is
    // another (other drives to erase, another step), and what was typed for the old one must not
    // fill it. A log-in in the middle keeps the version, and so the draft.
    form.dataset.draft = `${step}-v${shown.version}`;
    bindForm(form, async (body) => {
      let answer;
      try {
        answer = await api.post(`${path}/${step}`, body, { idempotent: true });
      } catch (error) {
        if (error instanceof ApiError && error.status === 409) {
          await conflict(form);
          return;
        }
        throw error;
      }
      render(answer, { focus: heading });
      notify(step === "scrap" ? t("workshop.order.scrapped") : t("workshop.order.saved", { step: t(`workshop.step.${step}`) }),
        "success");
    }, { read });
  }

  function render(order, { focus } = {}) {
    shown = order;
    show(document.getElementById("wo-device"), deviceFacts(order));
    show(document.getElementById("wo-steps"), order.steps.map((progress) => stepItem(progress, order)));
    const body = document.getElementById("wo-current-body");
    const due = order.next_step;
    if (due && order.allowed_steps.includes(due)) {
      heading.textContent = t("workshop.order.current.heading", { step: t(`workshop.step.${due}`) });
      const { form, read } = formFor(due, order);
      show(body, el("div", { class: "card" }, form));
      bind(form, read, due);
    } else {
      heading.textContent = t(`workshop.status.${order.status}`);
      show(body, el("p", { class: "notice" },
        t(order.status === "scrapped" ? "workshop.order.current.closed_scrapped" : "workshop.order.current.closed_ready")),
      order.scrap ? scrapRecord(order) : null);
    }
    const scrapSection = document.getElementById("wo-scrap");
    scrapSection.hidden = !order.allowed_steps.includes("scrap");
    const scrapBody = show(document.getElementById("wo-scrap-body"));
    if (!scrapSection.hidden) {
      const { form, read } = scrapForm();
      scrapBody.append(form);
      bind(form, read, "scrap");
    }
    if (focus) focus.focus();
  }

  try {
    render(await api.get(path));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      show(document.getElementById("page-content"), el("p", { class: "notice-error" }, t("workshop.order.not_found")));
      return;
    }
    throw error;
  }
});
