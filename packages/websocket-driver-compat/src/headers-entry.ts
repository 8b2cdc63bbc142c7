/**
 * The deep path `websocket-driver/lib/websocket/driver/headers`: the
 * module is the `Headers` class itself, as in websocket-driver.
 *
 * @module
 */
import { Headers } from './headers.js';

export default Headers;
