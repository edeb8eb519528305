// ruleid: confide-dom-html-sink
document.body.innerHTML = location.hash;
