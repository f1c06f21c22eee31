// Where the workshop's pages are.
export const QUEUE_HREF = "/portal/atelier";

export function workOrderHref(deviceId) {
  return `/portal/atelier/appareils/${encodeURIComponent(deviceId)}`;
}
