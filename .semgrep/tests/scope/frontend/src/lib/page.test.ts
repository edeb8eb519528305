// A unit test (jsdom) may parse HTML to inspect it: never flagged.
const root = document.createElement('div');
root.innerHTML = '<p>x</p>';
