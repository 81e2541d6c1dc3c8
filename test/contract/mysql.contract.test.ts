import { runContractSuite } from './suite';
import { mysqlTarget } from './targets';

runContractSuite(mysqlTarget());
