/** The part of sql.js (SQLite compiled to WebAssembly, a devDependency) the SVSlide writer uses. */
declare module 'sql.js' {
  type Value = string | number | Uint8Array | null;
  interface Database {
    run(sql: string, params?: Value[]): Database;
    export(): Uint8Array;
    close(): void;
  }
  interface SqlJsStatic {
    Database: new () => Database;
  }
  export default function initSqlJs(): Promise<SqlJsStatic>;
}
