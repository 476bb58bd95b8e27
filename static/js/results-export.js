/* The status page of a results export prepared in the background (participation/results_admin.py):
   asks the JSON status every few seconds and rewrites the state and the progress inside the page's live
   region (so screen readers hear them), then shows the download link when the file is ready. Without
   JavaScript the page's Refresh link does the same. */
(function () {
  "use strict";

  var DELAY = 2000;

  function start(box) {
    var url = box.getAttribute("data-status-url");
    var state = document.getElementById("results-export-state");
    var progress = document.getElementById("results-export-progress");
    var failed = document.getElementById("results-export-failed");
    var download = document.getElementById("results-export-download");
    var refresh = document.getElementById("results-export-refresh");

    function show(data) {
      if (state.textContent !== data.state) state.textContent = data.state;
      if (progress.textContent !== data.progress) progress.textContent = data.progress;
      if (!data.finished) return false;
      failed.hidden = !data.failed;
      if (data.download_url) {
        download.querySelector("a").setAttribute("href", data.download_url);
        download.hidden = false;
      }
      if (refresh) refresh.hidden = true;
      return true;
    }

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status);
          return response.json();
        })
        .then(function (data) {
          if (!show(data)) window.setTimeout(poll, DELAY);
        })
        .catch(function () {
          window.setTimeout(poll, DELAY * 5); /* the server is busy or restarting: ask again later */
        });
    }

    window.setTimeout(poll, DELAY);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("results-export");
    if (box && !box.hasAttribute("data-finished")) start(box);
  });
})();
