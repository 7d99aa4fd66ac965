// TV Andon board: a sound when a call appears that was not on the board before (after one tap to allow audio).
(function () {
  let audio = null;
  const button = document.querySelector("[data-andon-sound]");
  if (button) button.addEventListener("click", () => {
    try { audio = new (window.AudioContext || window.webkitAudioContext)(); button.hidden = true; } catch (e) { audio = null; }
  });
  function beep() {
    if (!audio) return;
    [0, 0.35].forEach((at) => {
      const osc = audio.createOscillator(); const gain = audio.createGain();
      osc.frequency.value = 880; gain.gain.value = 0.4; osc.connect(gain); gain.connect(audio.destination);
      osc.start(audio.currentTime + at); osc.stop(audio.currentTime + at + 0.25);
    });
  }
  const ids = () => new Set([...document.querySelectorAll("[data-call]")].map((el) => el.dataset.call));
  let known = ids();
  document.addEventListener("htmx:afterSettle", () => {
    const now = ids();
    for (const id of now) if (!known.has(id)) { beep(); document.body.dataset.lastNewCall = id; break; }
    known = now;
  });
})();
