// Swagger UI on one API's OpenAPI document. Its bundle is a classic script (it defines
// window.SwaggerUIBundle): loaded from our own origin by this module, never inline.
import { el, notify, show } from "/portal/static/js/dom.js";
import { t, has } from "/portal/static/js/i18n.js";
import { startPage } from "/portal/static/js/page.js";
import { validToken } from "/portal/static/js/session.js";

const BUNDLE = "/portal/static/vendor/swagger-ui/swagger-ui-bundle.js";

function loadBundle() {
  return new Promise((resolve, reject) => {
    const script = el("script", { src: BUNDLE });
    script.addEventListener("load", () => resolve(window.SwaggerUIBundle));
    script.addEventListener("error", reject);
    document.head.append(script);
  });
}

/** A person logged in to the portal tries the routes as themselves, unless Authorize was given a key. */
async function withPersonToken(request) {
  if (!request.headers.Authorization && !request.url.endsWith("/openapi.json")) {
    const token = await validToken();
    if (token) request.headers.Authorization = `Bearer ${token}`;
  }
  return request;
}

startPage(async ({ params }) => {
  const api = params.api;
  if (!/^[a-z]+$/.test(api) || !has(`docs.apis.${api}.name`)) {
    notify(t("docs.explorer.unknown"), "error");
    return;
  }
  const title = t("docs.explorer.title_of", { name: t(`docs.apis.${api}.name`) });
  document.getElementById("page-title").textContent = title;
  document.title = `${title} — ${t("common.site.name")}`;
  const url = `/${api}/openapi.json`;
  show(document.getElementById("explorer-document"), t("docs.explorer.document"), " ", el("a", { href: url }, url));

  const SwaggerUIBundle = await loadBundle();
  SwaggerUIBundle({
    url,
    domNode: document.getElementById("swagger-ui"),
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: false,
    validatorUrl: null, // the default would fetch a badge from another site
    persistAuthorization: false, // a key typed into Authorize stays in this page only
    requestInterceptor: withPersonToken,
    onComplete: () => {
      // Swagger UI leaves its list of servers without a name: a screen reader would say only "list"
      document.querySelector("#swagger-ui .servers select")?.setAttribute("aria-label", t("docs.explorer.servers"));
      // and puts its operations in a <main> of its own, inside the page's: a region, not a second main
      const operations = document.querySelector("#swagger-ui main#operations");
      operations?.setAttribute("role", "region");
      operations?.setAttribute("aria-label", t("docs.explorer.operations"));
      document.getElementById("swagger-ui").dataset.loaded = "true";
    },
    onFailure: () => notify(t("docs.explorer.unavailable"), "error"),
  });
});
