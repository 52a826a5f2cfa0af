// Types for the price-table script, imported by the test that holds the shipped table to the package.
import type { Provider } from '@pydantic/genai-prices';
import type { TableProvider } from '../src/metering/table-match.js';

export interface ProjectedPriceTable {
  version: string;
  providers: TableProvider[];
}
export declare const TOKEN_PRICE_KEYS: readonly string[];
export declare function projectPriceTable(providers: readonly Provider[], version: string): ProjectedPriceTable;
export declare function serialize(table: ProjectedPriceTable): string;
export declare function installedPriceTable(): Promise<ProjectedPriceTable>;
