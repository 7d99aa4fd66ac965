// Kiosk behaviour: clock, time-in-state counters, screen wake lock after the first tap, reload at a quiet hour.
(function () {
  const clock = document.querySelector("[data-clock]");
  function tick() { if (clock) clock.textContent = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }); }
  tick(); setInterval(tick, 10000);

  // Time in state: pushed fragments carry data-elapsed (ISO); the counter runs here so no push is needed per second.
  // (Not data-since: the Andon panel runs its own m:ss timer over every [data-since] on the page.)
  function elapsed(ms) {
    const s = Math.max(0, Math.floor(ms / 1000)); const h = Math.floor(s / 3600); const m = Math.floor((s % 3600) / 60);
    return h ? `${h} h ${String(m).padStart(2, "0")} min` : (m ? `${m} min ${String(s % 60).padStart(2, "0")} s` : `${s} s`);
  }
  function counters() {
    const now = Date.now();
    document.querySelectorAll("[data-elapsed]").forEach((el) => {
      const t = Date.parse(el.dataset.elapsed); if (!isNaN(t)) el.textContent = "for " + elapsed(now - t);
    });
  }
  counters(); setInterval(counters, 1000);
  document.addEventListener("htmx:afterSettle", counters);

  let lock = null;
  async function wake() {
    try { if ("wakeLock" in navigator && !lock) { lock = await navigator.wakeLock.request("screen");
      lock.addEventListener("release", () => { lock = null; }); } } catch (err) { lock = null; }
  }
  document.addEventListener("pointerdown", wake, { once: true });
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") wake(); });

  // Shed slow leaks: reload once a day at the quiet hour set on <body data-reload-hour> (default 04:30 local),
  // only when the page is connected (an offline tablet keeps what it shows rather than an error page).
  const hour = parseFloat(document.body.dataset.reloadHour || "4.5");
  setInterval(() => {
    const now = new Date(); const h = now.getHours() + now.getMinutes() / 60;
    if (Math.abs(h - hour) < 0.02 && performance.now() > 3600e3 && !document.body.classList.contains("ws-down")) {
      location.reload();
    }
  }, 60000);
})();
