/** Registers the service worker that keeps the app shell available offline (never media or API calls). */
export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator)) return;
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {
      // the app works without it
    });
  });
}
