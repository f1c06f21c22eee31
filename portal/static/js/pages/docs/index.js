// The docs page holds only links: starting the page shows the menu and session of a logged-in person.
import { startPage } from "/portal/static/js/page.js";

startPage(async () => {});
