// Live updates over the htmx ws extension: JSON messages are client triggers, HTML messages are OOB swaps.
// The socket is never trusted for correctness: panels re-fetch on every reconnect (ms5:resync).
(function () {
  let everOpened = false;
  document.addEventListener("htmx:wsBeforeMessage", (e) => {
    const msg = e.detail.message;
    if (typeof msg === "string" && msg.charAt(0) === "{") {
      e.preventDefault();
      const data = JSON.parse(msg);
      if (data.trigger) htmx.trigger(document.body, data.trigger, data.detail || {});
    }
  });
  document.addEventListener("htmx:wsOpen", () => {
    document.body.classList.remove("ws-down");
    document.body.dataset.ws = "open";
    if (everOpened) htmx.trigger(document.body, "ms5:resync");
    everOpened = true;
  });
  document.addEventListener("htmx:wsClose", (e) => {
    document.body.classList.add("ws-down");
    document.body.dataset.ws = "closed";
    const code = e.detail.event && e.detail.event.code;
    if (code === 4401) { location.assign("/accounts/kiosk/login/?next=" + encodeURIComponent(location.pathname)); return; }
    if (code === 4403) { location.assign("/"); return; }
    if (![1006, 1011, 1012, 1013].includes(code) && e.detail.socketWrapper) {
      setTimeout(() => e.detail.socketWrapper.reconnect && e.detail.socketWrapper.reconnect(), 3000);
    }
  });
})();
