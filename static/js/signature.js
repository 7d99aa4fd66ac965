// Signature pads for checklists: draw with finger, pen or mouse on a <canvas>; the PNG goes into the pad's hidden
// input as a data URL when the form is submitted. A required pad left empty stops the submit with a message.
// Markup: <div class="sig-pad" data-required="1"><canvas></canvas><input type="hidden" name="…">
//         <button type="button" data-clear>Clear</button><p class="sig-msg" role="alert"></p></div>
(function () {
  function setup(pad) {
    const canvas = pad.querySelector("canvas");
    const input = pad.querySelector("input[type=hidden]");
    const ctx = canvas.getContext("2d");
    let drawing = false, strokes = 0, last = null;
    function size() {
      const rect = canvas.getBoundingClientRect();
      canvas.width = Math.max(1, Math.round(rect.width)); canvas.height = Math.max(1, Math.round(rect.height));
      ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.strokeStyle = "#111827";
      ctx.fillStyle = "#ffffff"; ctx.fillRect(0, 0, canvas.width, canvas.height);
      strokes = 0; input.value = "";
    }
    function pos(e) { const r = canvas.getBoundingClientRect(); return { x: e.clientX - r.left, y: e.clientY - r.top }; }
    canvas.addEventListener("pointerdown", (e) => {
      e.preventDefault(); drawing = true; last = pos(e); canvas.setPointerCapture(e.pointerId);
      ctx.beginPath(); ctx.arc(last.x, last.y, 1.5, 0, Math.PI * 2); ctx.fillStyle = "#111827"; ctx.fill();
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!drawing) return; e.preventDefault(); const p = pos(e);
      ctx.beginPath(); ctx.moveTo(last.x, last.y); ctx.lineTo(p.x, p.y); ctx.stroke(); last = p;
    });
    function end() { if (drawing) { drawing = false; strokes += 1; input.value = canvas.toDataURL("image/png"); } }
    canvas.addEventListener("pointerup", end); canvas.addEventListener("pointercancel", end);
    const clear = pad.querySelector("[data-clear]");
    if (clear) clear.addEventListener("click", size);
    pad.signatureEmpty = () => strokes === 0;
    size();
  }
  document.querySelectorAll(".sig-pad").forEach(setup);
  document.querySelectorAll("form[data-checklist]").forEach((form) => {
    form.addEventListener("submit", (e) => {
      let ok = true;
      form.querySelectorAll(".sig-pad").forEach((pad) => {
        const msg = pad.querySelector(".sig-msg");
        if (pad.dataset.required === "1" && pad.signatureEmpty()) {
          ok = false; if (msg) msg.textContent = "Please sign here.";
        } else if (msg) { msg.textContent = ""; }
      });
      if (!ok) { e.preventDefault(); return; }
      // Against double taps: one submit only.
      form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; });
    });
  });
})();
