// The article page's share panel (templates/articles/_share.html): copy the address, or hand it
// to the system share sheet (Web Share API) where the browser has one. Without JavaScript the
// address stays selectable in its field and the QR code works as it is.
(() => {
  const panel = document.querySelector(".share");
  if (!panel) return;
  const field = panel.querySelector(".share-url");
  const status = panel.querySelector(".share-status");
  const copy = panel.querySelector(".share-copy");
  const native = panel.querySelector(".share-native");

  const say = (key) => {
    status.textContent = status.dataset[key];
  };

  // An older browser, or a page not served over HTTPS: select the field and copy the selection.
  const copySelection = () => {
    field.focus();
    field.select();
    field.setSelectionRange(0, field.value.length);
    return document.execCommand && document.execCommand("copy");
  };

  copy.addEventListener("click", async () => {
    const url = copy.dataset.url;
    try {
      if (!navigator.clipboard || !navigator.clipboard.writeText) throw new Error("no clipboard API");
      await navigator.clipboard.writeText(url);
      say("copied");
    } catch (error) {
      say(copySelection() ? "copied" : "failed");
    }
  });

  if (navigator.share) {
    native.hidden = false;
    native.addEventListener("click", async () => {
      try {
        await navigator.share({ title: native.dataset.title, url: native.dataset.url });
      } catch (error) {
        // The reader closed the share sheet: nothing to say.
      }
    });
  }
})();
