-- AlterTable
ALTER TABLE "Share" ADD COLUMN "graphName" TEXT;
