import { runContractSuite } from './suite';
import { sqliteTarget } from './targets';

runContractSuite(sqliteTarget());
