// Types for scenario.js, for the TypeScript programs and tests that import it.
export declare const BINARY_LENGTH: number;
export declare function patternBytes(length?: number): Uint8Array;
export declare function firstPatternMismatch(bytes: Uint8Array, length?: number): number;

/** What runClientScenario reports. */
export interface ClientReport {
  opened: boolean;
  textEchoed?: boolean;
  binaryType?: string;
  binaryMismatchAt?: number;
  pingAnswered?: boolean;
  close: { code: number; reason: string; wasClean: boolean };
  errors: string[];
}

/** What serveScenario reports. */
export interface ServerReport {
  binaryMismatchAt: number | null;
  close: { code: number; reason: string; wasClean: boolean };
  errors: string[];
}

/** The part of a driver the scenarios use. */
interface ScenarioDriver {
  on(type: string, listener: (event: any) => void): unknown;
  once(type: string, listener: (event: any) => void): unknown;
  text(data: string): boolean;
  binary(data: Uint8Array): boolean;
  ping(data: string, callback: () => void): boolean;
  close(code?: number, reason?: string): boolean;
}

export declare function runClientScenario(driver: ScenarioDriver, name: string): Promise<ClientReport>;
export declare function serveScenario(driver: ScenarioDriver, name: string): Promise<ServerReport>;
export declare function pairInMemory(Driver: unknown, url?: string): { client: ScenarioDriver; server: ScenarioDriver };
