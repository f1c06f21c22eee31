// "Orienter une personne": the needs diagnosis sent to allocation; what was typed is kept in this
// tab if the session ends before it is sent (data-draft), and the API's refusals are shown in place.
import { api } from "/portal/static/js/api.js";
import { bindForm } from "/portal/static/js/forms.js";
import { startPage } from "/portal/static/js/page.js";

startPage(async () => {
  const form = document.getElementById("referral-form");
  bindForm(form, async (values) => {
    const referral = await api.post("/allocation/referrals", values, { idempotent: true });
    location.assign(`/portal/orientations/${encodeURIComponent(referral.referral_id)}?nouvelle=1`);
  });
});
