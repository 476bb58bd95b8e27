// The budget page without reloads: adding, removing, voting and withdrawing send the same forms the page
// has without JavaScript, read the page the server answers with, and put its basket and project list in
// place of ours. The server stays the only judge of the rules; this file only saves a reload.
// Focus stays on the same project's button, and what changed is said in a polite live region.
(function () {
  "use strict";

  var page = document.querySelector("[data-budget-page]");
  if (!page || !window.fetch || !window.DOMParser) {
    return;
  }
  var status = document.querySelector("[data-budget-status]");
  var busy = false;

  function swap(fresh, selector) {
    var mine = document.querySelector(selector);
    var theirs = fresh.querySelector(selector);
    if (mine && theirs) {
      mine.replaceWith(theirs);
    }
  }

  function announce(fresh) {
    var texts = [];
    fresh.querySelectorAll("#budget-errors p, [role=status] .alert").forEach(function (node) {
      texts.push(node.textContent.trim());
    });
    if (status) {
      status.textContent = "";
      window.setTimeout(function () {
        status.textContent = texts.join(" ");
      }, 50);
    }
  }

  function refocus(form) {
    var project = form.querySelector("input[name=project]");
    var inBasket = !!form.closest("#basket");
    var target = null;
    if (project && !inBasket) {
      target = document.querySelector("#projects input[name=project][value='" + project.value + "'] ~ button");
    }
    if (!target) {
      target = document.querySelector("#budget-errors") || document.querySelector("#basket h2");
      if (target && !target.hasAttribute("tabindex")) {
        target.setAttribute("tabindex", "-1");
      }
    }
    if (target) {
      target.focus();
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-budget-action]") || busy) {
      return;
    }
    event.preventDefault();
    busy = true;
    var button = form.querySelector("button[type=submit]");
    if (button) {
      button.setAttribute("aria-disabled", "true");
    }
    // getAttribute: the form has an input named "action", which hides the form.action property.
    fetch(form.getAttribute("action"), {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        return response.text().then(function (html) {
          return { ok: response.ok || response.status === 400 || response.status === 429, html: html };
        });
      })
      .then(function (answer) {
        if (!answer.ok) {
          form.submit();
          return;
        }
        var fresh = new DOMParser().parseFromString(answer.html, "text/html");
        announce(fresh); // first: swapping moves the basket (and its errors) out of the fresh page
        swap(fresh, "#basket");
        swap(fresh, "#projects ul.budget-projects");
        refocus(form);
      })
      .catch(function (error) {
        // Whatever went wrong here, the plain form still works: send it the ordinary way.
        window.console.error(error);
        form.submit();
      })
      .finally(function () {
        busy = false;
      });
  });
})();
