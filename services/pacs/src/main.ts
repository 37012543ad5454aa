import { hello } from '@pacs/config';
console.log(hello);
