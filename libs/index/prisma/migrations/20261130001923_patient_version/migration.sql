-- AlterTable
ALTER TABLE "patient" ADD COLUMN     "version" INTEGER NOT NULL DEFAULT 1;
