// Building the page: every text goes in through textContent, never as HTML.

/**
 * el("p", {class: "hint", id: "x"}, "text", otherNode) → an element.
 * Attributes: `class`, `hidden` (boolean), `dataset` (object), `on` ({click: fn}); others as given.
 */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "on") {
      for (const [event, handler] of Object.entries(value)) node.addEventListener(event, handler);
    } else if (name === "dataset") {
      Object.assign(node.dataset, value);
    } else if (value === true) {
      node.setAttribute(name, "");
    } else {
      node.setAttribute(name, String(value));
    }
  }
  append(node, ...children);
  return node;
}

export function append(node, ...children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.firstChild.remove();
  return node;
}

/** Replaces the content of `node` with `children`. */
export function show(node, ...children) {
  return append(clear(node), ...children);
}

/** A notice in the page's live region (kind: "success" | "error" | "info"). */
export function notify(message, kind = "info") {
  const region = document.getElementById("sv-page-notice");
  if (!region) return;
  show(region, el("p", { class: kind === "info" ? "notice" : `notice-${kind}` }, message));
}
