// Keyboard focus that a button would lose when it goes disabled. Chromium moves focus to <body> when
// the focused control is disabled (while its request runs, or for good: an empty draft, nothing left
// to clear), and the next Tab starts again from the top of the page. Found by a review (2026-12-06).
import { useEffect } from 'preact/hooks';

/** The element that last took focus; null once a pointer pressed somewhere else (focus left on purpose). */
let lastFocused = null;
document.addEventListener('focusin', (event) => {
  lastFocused = event.target;
});
document.addEventListener('pointerdown', () => {
  lastFocused = null;
});

/** Whether `element` holds focus, or held it when focus fell to <body> (it went disabled). */
export function heldFocus(element) {
  const active = document.activeElement;
  return active === element || ((active === null || active === document.body) && lastFocused === element);
}

/**
 * Keeps focus near the button `control` (a ref) when it goes disabled with focus on it: while `busy`
 * (its action runs) it waits, then puts focus back on the button once it is enabled again; a button
 * that stays disabled (an empty draft after a send) or goes disabled later (Clear once nothing is
 * armed) hands focus to `fallback()`, an element that stays enabled. Runs after each render, when
 * the button is enabled or disabled as it will be; focus the person moved elsewhere stays there.
 */
export function useKeptFocus(control, busy, fallback) {
  useEffect(() => {
    const element = control.current;
    if (busy || !element || !heldFocus(element)) return;
    if (element.disabled) fallback()?.focus();
    else if (document.activeElement !== element) element.focus();
  });
}
