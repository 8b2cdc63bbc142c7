// The page as an application would bundle it: the package imported by name.
import { Driver, maskingImplementation } from 'wsdriver';
import { runBrowserScenario } from './browser-run.js';

globalThis.report = runBrowserScenario(Driver, maskingImplementation, 'bundled page').then((report) => [report]);
