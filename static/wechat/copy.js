// 复制到公众号: put the export on the clipboard as HTML (and plain text) for the WeChat editor.
// The button carries the export and the messages (data-html, data-text, data-copied, data-failed);
// without the asynchronous clipboard API the preview is selected and copied with execCommand.
"use strict";
(function () {
  const button = document.getElementById("wechat-copy");
  const frame = document.getElementById("wechat-preview");
  const status = document.getElementById("wechat-status");
  if (!button || !frame || !status) return;
  const html = button.dataset.html;
  const text = button.dataset.text;

  function say(message, failed) {
    status.textContent = message;
    status.classList.toggle("failed", failed);
  }

  function writeWithClipboardApi() {
    if (!(navigator.clipboard && navigator.clipboard.write && window.ClipboardItem)) {
      return Promise.reject(new Error("no asynchronous clipboard"));
    }
    const item = new ClipboardItem({
      "text/html": new Blob([html], { type: "text/html" }),
      "text/plain": new Blob([text], { type: "text/plain" }),
    });
    return navigator.clipboard.write([item]);
  }

  function copyBySelection() {
    // Select the preview, so the editor sees what goes over, and let the copy event carry the
    // export itself: the browser's own serialisation of a selection rewrites the styles.
    const preview = frame.contentDocument;
    if (preview && preview.body) preview.getSelection().selectAllChildren(preview.body);
    const put = function (event) {
      event.clipboardData.setData("text/html", html);
      event.clipboardData.setData("text/plain", text);
      event.preventDefault();
    };
    document.addEventListener("copy", put);
    try {
      return document.execCommand("copy");
    } finally {
      document.removeEventListener("copy", put);
    }
  }

  button.addEventListener("click", function () {
    say("", false);
    writeWithClipboardApi()
      .catch(function () {
        if (!copyBySelection()) throw new Error("execCommand refused");
      })
      .then(
        function () {
          say(button.dataset.copied, false);
        },
        function () {
          say(button.dataset.failed, true);
        }
      );
  });
})();
