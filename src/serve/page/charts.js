// The page's charts, drawn by hand on canvas and in a table: curves of a run's epochs, and
// the confusion matrix as a heatmap. No chart library: the page loads nothing from elsewhere.

const FONT = '12px system-ui, sans-serif';

/**
 * Lines through points on a canvas, with axes and a legend. series: [{label, color,
 * points: [[x, y], ...]}]; options: {yMin, yMax} (fixed range; else from the data), xLabel.
 */
export function lineChart(canvas, series, options = {}) {
  const ctx = canvas.getContext('2d');
  const { width, height } = canvas;
  const pad = { left: 52, right: 14, top: 14, bottom: 34 };
  ctx.clearRect(0, 0, width, height);
  ctx.font = FONT;
  const all = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  const xMax = Math.max(1, ...all.map(([x]) => x));
  let yMin = options.yMin ?? Math.min(...all.map(([, y]) => y));
  let yMax = options.yMax ?? Math.max(...all.map(([, y]) => y));
  if (!Number.isFinite(yMin) || !Number.isFinite(yMax)) [yMin, yMax] = [0, 1];
  if (yMax - yMin < 1e-9) [yMin, yMax] = [yMin - 0.5, yMax + 0.5];
  const px = (x) => pad.left + (x / xMax) * (width - pad.left - pad.right);
  const py = (y) => height - pad.bottom - ((y - yMin) / (yMax - yMin)) * (height - pad.top - pad.bottom);

  // Grid and ticks: five on y, whole epochs on x.
  ctx.strokeStyle = '#e4e4e8';
  ctx.fillStyle = '#6b6b70';
  ctx.lineWidth = 1;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (let k = 0; k <= 4; k++) {
    const y = yMin + ((yMax - yMin) * k) / 4;
    line(ctx, pad.left, py(y), width - pad.right, py(y));
    ctx.fillText(formatTick(y, yMax - yMin), pad.left - 6, py(y));
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  const step = Math.max(1, Math.ceil(xMax / 10));
  for (let x = 0; x <= xMax; x += step) ctx.fillText(String(x), px(x), height - pad.bottom + 5);
  ctx.fillText(options.xLabel ?? 'epoch', (pad.left + width - pad.right) / 2, height - 15);
  ctx.strokeStyle = '#9a9aa0';
  line(ctx, pad.left, pad.top, pad.left, height - pad.bottom);
  line(ctx, pad.left, height - pad.bottom, width - pad.right, height - pad.bottom);

  series.forEach((s, k) => {
    const points = s.points.filter(([, y]) => Number.isFinite(y));
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    points.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(px(x), py(y)) : ctx.lineTo(px(x), py(y))));
    ctx.stroke();
    for (const [x, y] of points) {
      ctx.beginPath();
      ctx.arc(px(x), py(y), 3, 0, 2 * Math.PI);
      ctx.fill();
    }
    // Legend, top right.
    const ly = pad.top + 8 + k * 16;
    ctx.fillRect(width - pad.right - 96, ly - 1, 14, 3);
    ctx.fillStyle = '#1d1d1f';
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    ctx.fillText(s.label, width - pad.right - 76, ly);
  });
}

function line(ctx, x0, y0, x1, y1) {
  ctx.beginPath();
  ctx.moveTo(x0, y0);
  ctx.lineTo(x1, y1);
  ctx.stroke();
}

function formatTick(v, range) {
  return range < 0.05 ? v.toFixed(3) : range < 2 ? v.toFixed(2) : v.toFixed(1);
}

/**
 * The confusion matrix as a table of coloured cells (rows: true class, columns: predicted).
 * The diagonal is shaded green by its share of the row, mistakes red by their share of the
 * row's mistakes scaled up, so a few errors still show. onCell(trueClass, predicted) is
 * called when a cell is clicked (none when it is null).
 */
export function confusionTable(container, counts, classes, onCell) {
  const table = document.createElement('table');
  table.className = 'confusion';
  const head = table.createTHead().insertRow();
  head.appendChild(cell('th', 'true \\ predicted'));
  for (let j = 0; j < classes; j++) head.appendChild(cell('th', String(j)));
  const body = table.createTBody();
  let maxWrong = 1;
  for (let i = 0; i < classes; i++) for (let j = 0; j < classes; j++) if (i !== j) maxWrong = Math.max(maxWrong, counts[i * classes + j]);
  for (let i = 0; i < classes; i++) {
    const row = body.insertRow();
    row.appendChild(cell('th', String(i)));
    let rowTotal = 0;
    for (let j = 0; j < classes; j++) rowTotal += counts[i * classes + j];
    for (let j = 0; j < classes; j++) {
      const n = counts[i * classes + j];
      const td = cell('td', String(n));
      td.dataset.true = String(i);
      td.dataset.pred = String(j);
      td.title = `true ${i}, predicted ${j}: ${n}`;
      const strength = i === j ? (rowTotal ? n / rowTotal : 0) : Math.sqrt(n / maxWrong);
      td.style.backgroundColor = i === j ? `rgba(46, 133, 64, ${0.15 + 0.75 * strength})` : n === 0 ? '#f4f4f6' : `rgba(200, 40, 40, ${0.12 + 0.78 * strength})`;
      if (strength > 0.6) td.style.color = '#fff';
      if (onCell && n > 0) td.addEventListener('click', () => onCell(i, j, td));
      else td.classList.add('empty');
      row.appendChild(td);
    }
  }
  const caption = table.createCaption();
  caption.textContent = 'rows: true class · columns: predicted class';
  container.replaceChildren(table);
  return table;
}

function cell(tag, text) {
  const el = document.createElement(tag);
  el.textContent = text;
  return el;
}

/** A greyscale image (values 0..1 or bytes 0..255 with scale 1/255) onto a canvas of its size. */
export function drawGray(canvas, values, width, height, scale = 1) {
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(width, height);
  for (let i = 0; i < width * height; i++) {
    const v = Math.max(0, Math.min(255, Math.round(values[i] * scale * 255)));
    image.data[4 * i] = image.data[4 * i + 1] = image.data[4 * i + 2] = v;
    image.data[4 * i + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}
