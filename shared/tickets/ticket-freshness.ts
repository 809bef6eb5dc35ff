/**
 * WeChat pushes a component_verify_ticket every 10 minutes; two missed pushes mean something is
 * wrong. The token refresher then asks for a push, and the operations alarm fires.
 */
export const TICKET_STALE_AFTER_MS = 20 * 60_000;
