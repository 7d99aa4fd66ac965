// Kiosk behaviour: clock, screen wake lock after the first tap, reload at a quiet hour.
(function () {
  const clock = document.querySelector("[data-clock]");
  function tick() { if (clock) clock.textContent = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }); }
  tick(); setInterval(tick, 10000);

  let lock = null;
  async function wake() {
    try { if ("wakeLock" in navigator && !lock) { lock = await navigator.wakeLock.request("screen");
      lock.addEventListener("release", () => { lock = null; }); } } catch (err) { lock = null; }
  }
  document.addEventListener("pointerdown", wake, { once: true });
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") wake(); });

  // Shed slow leaks: reload once a day at the quiet hour set on <body data-reload-hour> (default 04:30 local).
  const hour = parseFloat(document.body.dataset.reloadHour || "4.5");
  setInterval(() => {
    const now = new Date(); const h = now.getHours() + now.getMinutes() / 60;
    if (Math.abs(h - hour) < 0.02 && performance.now() > 3600e3) location.reload();
  }, 60000);
})();
