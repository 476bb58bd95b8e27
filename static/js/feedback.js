/* "How clear is the information on this page?" (templates/feedback/includes/widget.html, feedback/views.py).
 *
 * Without this file the stars post to a small page that asks the rest. With it, the widget asks in place:
 * choosing stars shows the follow-up question for that score (1-3 stars: difficulties; 4-5: what was liked),
 * "Next" the optional details, "Send" posts the whole answer once and shows the thanks. Each new step is
 * announced in the widget's live region; focus moves to the step's first control when the visitor presses a
 * button, never while they move between the stars with the arrow keys. No inline script or style (CSP).
 */
(function () {
  "use strict";

  function init(card) {
    var form = card.querySelector("[data-feedback-form]");
    if (!form || !window.fetch || !window.FormData) {
      return; // the plain form keeps working
    }
    var parts = {};
    card.querySelectorAll("[data-feedback-part]").forEach(function (part) {
      parts[part.getAttribute("data-feedback-part")] = part;
    });
    var status = form.querySelector("[data-feedback-status]");
    var error = form.querySelector("[data-feedback-error]");
    var stepField = form.querySelector("[data-feedback-step-field]");
    var text = form.querySelector("[name=text]");
    var textError = form.querySelector("[data-feedback-field-error=text]");
    var helpId = text ? text.getAttribute("aria-describedby").split(" ")[0] : "";
    var current = "rating";
    var sending = false;

    stepField.value = "final"; // the whole answer is posted at once
    form.querySelectorAll("[data-feedback-nojs]").forEach(function (element) {
      element.hidden = true;
    });

    function announce(message) {
      // Emptied first, so the same sentence twice is still read.
      status.textContent = "";
      window.setTimeout(function () {
        status.textContent = message;
      }, 50);
    }

    function score() {
      var checked = form.querySelector("input[name=score]:checked");
      return checked ? parseInt(checked.value, 10) : 0;
    }

    function polarityFieldset() {
      return form.querySelector("[data-feedback-polarity=" + (score() > 3 ? "positive" : "negative") + "]");
    }

    function showError(message, field) {
      error.textContent = message || "";
      error.hidden = !message;
      if (textError) {
        textError.textContent = field || "";
        textError.classList.toggle("d-block", Boolean(field));
        text.setAttribute("aria-describedby", field ? helpId + " " + textError.id : helpId);
        if (field) {
          text.setAttribute("aria-invalid", "true");
        } else {
          text.removeAttribute("aria-invalid");
        }
      }
    }

    function show(name) {
      current = name;
      parts.answers.hidden = name !== "answers";
      parts.details.hidden = name !== "details";
    }

    function showQuestion() {
      // The follow-up question for the score chosen; an answer to the other question is dropped.
      var fieldset = polarityFieldset();
      form.querySelectorAll("[data-feedback-polarity]").forEach(function (other) {
        other.hidden = other !== fieldset;
        if (other !== fieldset) {
          other.querySelectorAll("input:checked").forEach(function (input) {
            input.checked = false;
          });
        }
      });
      return fieldset;
    }

    function question(fieldset) {
      return fieldset.querySelector("legend").textContent.replace(/\s+/g, " ").trim();
    }

    function goToAnswers(moveFocus) {
      var fieldset = showQuestion();
      show("answers");
      showError("");
      announce(question(fieldset));
      if (moveFocus) {
        (fieldset.querySelector("input:checked") || fieldset.querySelector("input")).focus();
      }
    }

    function goToDetails() {
      show("details");
      showError("");
      announce(question(parts.details));
      text.focus();
    }

    form.querySelectorAll("input[name=score]").forEach(function (star) {
      star.addEventListener("change", function () {
        goToAnswers(false);
      });
    });

    parts.answers.querySelector("[data-feedback-back]").addEventListener("click", function () {
      show("rating");
      var checked = form.querySelector("input[name=score]:checked");
      if (checked) {
        checked.focus();
      }
    });
    parts.answers.querySelector("[data-feedback-next]").addEventListener("click", goToDetails);
    parts.details.querySelector("[data-feedback-back]").addEventListener("click", function () {
      goToAnswers(true);
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      // Enter on a star or an answer moves on to the next step, as that step's own button would.
      var from = document.activeElement;
      if (current === "rating" || parts.rating.contains(from)) {
        if (score()) {
          goToAnswers(true);
        }
        return;
      }
      if (current === "answers" || parts.answers.contains(from)) {
        goToDetails();
        return;
      }
      if (sending) {
        return;
      }
      sending = true;
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.json();
        })
        .then(function (data) {
          if (data.ok) {
            form.hidden = true;
            parts.thanks.hidden = false;
            var thanks = parts.thanks.querySelector("[data-feedback-thanks]");
            thanks.textContent = data.message || thanks.textContent;
            thanks.focus();
            return;
          }
          var fieldMessage = data.errors && data.errors.text ? data.errors.text[0] : "";
          var message = data.message || card.getAttribute("data-msg-check");
          if (data.errors) {
            Object.keys(data.errors).forEach(function (name) {
              if (name !== "text") {
                message += " " + data.errors[name].join(" ");
              }
            });
          }
          showError(message, fieldMessage);
          announce(message + (fieldMessage ? " " + fieldMessage : ""));
          if (fieldMessage) {
            text.focus();
          }
        })
        .catch(function () {
          var message = card.getAttribute("data-msg-network");
          showError(message);
          announce(message);
        })
        .then(function () {
          sending = false;
        });
    });
  }

  function start() {
    document.querySelectorAll("[data-feedback]").forEach(init);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
