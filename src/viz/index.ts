/** Pictures of training and of what a network learned, written as PNG files. */
export { Canvas, decodePng, type Rgb } from './canvas.js';
export { renderHistoryPlot, writeHistoryPlot, type HistoryRecord, type HistoryPlot } from './history-plot.js';
export { renderConfusion, writeConfusionPng, type ConfusionLayout } from './confusion.js';
