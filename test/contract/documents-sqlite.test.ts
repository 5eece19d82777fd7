import { documentsContract } from "./documents.contract.js";
import { openTempSqlite } from "./sqlite-temp.js";

documentsContract("sqlite", openTempSqlite);
