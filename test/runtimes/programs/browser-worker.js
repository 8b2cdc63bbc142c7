// A module Worker: no import map can reach it; it imports the package by path.
import { run } from './browser-scenario.js';

run('worker').then((report) => self.postMessage(report));
